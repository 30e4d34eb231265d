"""Load from `wrk` on 127.0.0.1: bounded by duration, parsed into a figure."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

LUA = Path(__file__).resolve().parent / "lua"
CONNECTIONS = 16
THREADS = 2


@dataclass
class WrkResult:
    """Requests/s and latency percentiles of one run, and the server's peak RSS.

    `peak_rss_mb` holds each serving process's peak; `peak_total_rss_mb` the peak of
    their sum at one moment (what the server as a whole held).
    """

    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    socket_errors: int
    peak_rss_mb: list[float] = field(default_factory=list)
    peak_total_rss_mb: float = 0.0


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse(output: str) -> WrkResult:
    """The figures of `wrk --latency` output."""
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_milliseconds(latency["50"]),
        p99_ms=_milliseconds(latency["99"]),
        errors=int(errors.group(1)) if errors else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def _is_helper(process: psutil.Process) -> bool:
    """multiprocessing's resource tracker: a child of a `--workers` server that serves nothing."""
    return any("resource_tracker" in part for part in process.cmdline())


class RssSampler:
    """Peak resident memory of each process of a server while load runs."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peaks: dict[int, float] = {}
        self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
                sample = {
                    p.pid: p.memory_info().rss / 1024 / 1024 for p in processes if not _is_helper(p)
                }
            except psutil.Error:
                continue
            for pid, rss in sample.items():
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), rss)
            self.peak_total = max(self.peak_total, sum(self._serving(sample).values()))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _serving(self, rss: dict[int, float]) -> dict[int, float]:
        # With workers, uvicorn's supervisor (the root) serves nothing: leave it out.
        children = {pid: mb for pid, mb in rss.items() if pid != self.root.pid}
        return children or rss

    def serving_processes(self) -> list[float]:
        """Peak RSS of each process that serves requests (uvicorn's supervisor aside)."""
        return list(self._serving(self.peaks).values())


def run_wrk(
    url: str,
    script: str,
    seconds: float,
    *args: str,
    connections: int = CONNECTIONS,
    server_pid: int | None = None,
) -> WrkResult:
    """`wrk` with a script from `bench/lua` for `seconds`; arguments go to the script."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (scripts/bench installs it)")
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        str(LUA / f"{script}.lua"),
        url,
        "--",
        *args,
    ]
    env = {**os.environ, "BENCH_LUA": str(LUA)}
    sampler = RssSampler(server_pid) if server_pid is not None else None
    with sampler or contextlib.nullcontext():
        output = subprocess.run(command, env=env, capture_output=True, text=True)
    # wrk exits 1 when it cannot connect, and prints no percentiles without a response:
    # say which phase and why instead of a bare traceback.
    try:
        if output.returncode != 0:
            raise ValueError(output.returncode)
        result = parse(output.stdout)
    except (ValueError, KeyError, AttributeError) as error:
        raise RuntimeError(
            f"wrk {script} on {url} failed ({error!r}):\n{output.stdout}{output.stderr}"
        ) from error
    if sampler is not None:
        result.peak_rss_mb = sampler.serving_processes()
        result.peak_total_rss_mb = sampler.peak_total
    return result
