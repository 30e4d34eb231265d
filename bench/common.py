"""Shared benchmark machinery: servers on 127.0.0.1, a bounded load generator, baselines.

Everything here talks only to addresses on this machine and stops after a fixed
number of requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from optledger.storage.provision import create_postgres_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+asyncpg://optledger@127.0.0.1:54329/postgres"

# (method, path, json body or None) for request number i
RequestFactory = Callable[[int], tuple[str, str, dict[str, Any] | None]]


def percentile(values: list[float], q: float) -> float:
    """The value below which a share `q` of `values` lies (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed_concurrently(
    count: int, concurrency: int, operation: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run `operation(0..count-1)` with `concurrency` in flight.

    Returns the wall seconds and each operation's latency in milliseconds.
    """
    latencies: list[float] = []
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            await operation(index)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


@dataclass
class LoadResult:
    """What one phase of load measured."""

    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    rss_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def row(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "requests": self.count,
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "errors": self.errors,
            "server_rss_mb": None if self.rss_mb is None else round(self.rss_mb, 1),
        }


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    """A plain, copyable table."""
    print(f"\n== {title}")
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


async def create_pg_database(admin_url: str, prefix: str = "bench") -> str:
    """A new empty database on the server of `admin_url`."""
    return await create_postgres_database(admin_url, prefix=prefix)


async def drop_pg_database(url: str) -> None:
    """Drop the database of `url` (one `create_pg_database` made), closing its sessions."""
    parsed = make_url(url)
    # The server's maintenance database: one cannot drop the database one is in.
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`optledger serve` in a subprocess on 127.0.0.1."""

    def __init__(self, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            prefix="optledger-bench-", suffix=".log"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "optledger", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start; see {self.log.name}")

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes) / 1024 / 1024

    def stop(self) -> None:
        """Stop the server; if it had already died, show the end of its log on stderr."""
        if self.process is not None and self.process.poll() is not None:
            self.log.seek(0)
            tail = self.log.read()[-4000:].decode(errors="replace")
            print(f"server exited with {self.process.returncode}:\n{tail}", file=sys.stderr)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def bench_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OPTLEDGER_DATABASE_URL": database_url,
        "OPTLEDGER_DATA_DIR": str(data_dir),
        "OPTLEDGER_SECRET_KEY": "bench-secret",
        "OPTLEDGER_LOG_LEVEL": "WARNING",
        **extra,
    }
    return env


def bootstrap(env: dict[str, str], company: str = "bench") -> dict[str, Any]:
    """Credentials and units of a bootstrapped company, through the CLI."""
    output = subprocess.run(
        [sys.executable, "-m", "optledger", "bootstrap", "--company", company, "--json"],
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    ).stdout
    data: dict[str, Any] = json.loads(output)
    return data


async def run_load(
    name: str,
    base_url: str,
    make_request: RequestFactory,
    *,
    count: int,
    concurrency: int,
    headers: dict[str, str],
) -> LoadResult:
    """Send `count` requests with `concurrency` in flight; time each one."""
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def send(index: int) -> None:
            nonlocal errors
            method, path, body = make_request(index)
            response = await client.request(method, path, json=body)
            if response.status_code >= 300:
                errors += 1

        seconds, latencies = await timed_concurrently(count, concurrency, send)
    return LoadResult(name, count, seconds, latencies, errors)


def find_pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(name)
