"""What the machine itself can do, measured in the same run as optledger."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.common import ROOT, create_pg_database, drop_pg_database, find_pg_binary, free_port
from bench.wrk import CONNECTIONS, WrkResult, run_wrk


def _served(
    app: str, script: str, seconds: float, workers: int, *args: str, **env: str
) -> WrkResult:
    """`wrk` running `script` against the ASGI `app` under uvicorn, as optledger is served."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app, "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, env={**os.environ, **env}
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return run_wrk(url, script, seconds, *args)
    finally:
        process.terminate()
        process.wait(timeout=15)


def bare_starlette(seconds: float, workers: int) -> WrkResult:
    """A JSON hello from Starlette under uvicorn, as many processes as optledger gets."""
    return _served("bench.bare_app:app", "hello", seconds, workers)


def minimal_subscribe(path: Path, seconds: float) -> WrkResult:
    """New-number subscribes through `bench.minimal_subscribe_app`, one process."""
    return _served(
        "bench.minimal_subscribe_app:app",
        "subscribe",
        seconds,
        1,
        "Bearer none",
        OPTLEDGER_BENCH_MINIMAL_DB=str(path),
    )


def pgbench_tpcb(admin_url: str, seconds: float) -> tuple[float, float]:
    """pgbench's TPC-B-like script, 16 clients for `seconds`: (tps, average latency ms)."""
    database = asyncio.run(create_pg_database(admin_url, prefix="pgbench"))
    url = make_url(database)
    args = ["-h", str(url.host), "-p", str(url.port), "-U", str(url.username)]
    pgbench = find_pg_binary("pgbench")
    name = str(url.database)
    try:
        subprocess.run(
            [pgbench, "-i", "-q", "-s", "1", *args, name], check=True, capture_output=True
        )
        output = subprocess.run(
            [pgbench, *args, "-c", str(CONNECTIONS), "-j", "2", "-T", f"{seconds:g}", name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        asyncio.run(drop_pg_database(database))
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))  # type: ignore[union-attr]
    return tps, latency


def sqlite_inserts(path: Path, seconds: float) -> float:
    """Committed single-row inserts per second, WAL and `synchronous=FULL` as the server."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (?)", (str(count),))
        connection.execute("COMMIT")
        count += 1
    connection.close()
    return count / elapsed
