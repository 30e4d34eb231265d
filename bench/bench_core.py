"""The hot paths against same-run baselines, on SQLite and PostgreSQL, 1 and 2 processes.

For each configuration (SQLite with its one server process; PostgreSQL with one
process, then `--workers 2`) it measures, with `wrk` (16 connections, 2 threads,
bounded duration, 127.0.0.1 only):

- the baselines: a bare Starlette JSON hello under the same uvicorn and process
  count; `pgbench` TPC-B-like with 16 clients, or on SQLite a loop of committed
  single-row inserts with the server's WAL and `synchronous=FULL`;
- `POST /v1/subscriptions` with a new number each request (single opt-in), then
  `GET /v1/subscriptions?phone=` over the subscribed numbers, then
  `POST /v1/subscriptions/unsubscribe` over them (new opt-outs first, repeats once
  every number is out), then `POST /v1/subscriptions/eligibility` with 1,000
  numbers a request; the peak RSS of each server process under that load;
- with one process, `optledger audience filter` over 1,000,000 numbers (the
  subscribed ones among them), run while the server is up and before the opt-outs.

    .venv/bin/python -m bench.bench_core [--seconds 10] [--only sqlite|postgresql]

PostgreSQL is `OPTLEDGER_BENCH_POSTGRES_URL` (default: the test server).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from bench.baselines import bare_starlette, minimal_subscribe, pgbench_tpcb, sqlite_inserts
from bench.common import (
    DEFAULT_PG,
    ROOT,
    Server,
    bench_env,
    bootstrap,
    create_pg_database,
    drop_pg_database,
    print_table,
)
from bench.wrk import WrkResult, run_wrk
from optledger.storage.database import Database
from optledger.storage.sql import Query

AUDIENCE_SIZE = 1_000_000
# Numbers from here on are the warm-up's (see lua/numbers.lua).
WARM_UP_OFFSET = "150000"
# The measured phase's numbers (exchanges 200-299 and 500-599; the warm-up's are
# 215 and 515 onwards, past anything 10 s of load reaches).
SUBSCRIBED = Query(
    """SELECT contact_value FROM subscription_records
    WHERE contact_value LIKE '+1914%' AND substr(contact_value, 6, 3) NOT IN ('215', '515')"""
)


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its baseline and target."""

    name: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None

    def row(self) -> dict[str, str]:
        return {
            "figure": self.name,
            "optledger": self.value,
            "baseline": self.baseline,
            "ratio": "" if self.ratio is None else f"{self.ratio:.2f}x",
            "target": self.target,
            "met": {None: "", True: "yes", False: "NO"}[self.met],
        }


def _rate(result: WrkResult) -> str:
    errors = f", {result.errors} non-2xx" if result.errors else ""
    errors += f", {result.socket_errors} socket errors" if result.socket_errors else ""
    return (
        f"{result.per_second:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms{errors}"
    )


def analyze(url: str) -> None:
    """Refresh the planner's statistics, as autovacuum would on a live database."""
    if url.startswith("postgresql"):
        asyncio.run(_analyze(url))


async def _analyze(url: str) -> None:
    database = Database(url)
    try:
        await database.run(lambda connection: connection.execute(Query("ANALYZE")))
    finally:
        await database.dispose()


PERSON_KEYS = Query(
    """SELECT DISTINCT p.person_key FROM persons p
    JOIN subscription_records r ON r.person_id = p.id
    WHERE r.contact_value LIKE '+1914%'"""
)


def first_column(url: str, query: Query) -> list[str]:
    """The first column of every row `query` reads from the database at `url`."""

    async def read() -> list[str]:
        database = Database(url)
        try:
            rows = await database.read(lambda connection: connection.fetch(query))
            return [row[0] for row in rows]
        finally:
            await database.dispose()

    return asyncio.run(read())


def subscribed_numbers(url: str) -> list[str]:
    """The numbers the measured subscribe phase opened, in a shuffled order."""
    numbers = first_column(url, SUBSCRIBED)
    random.Random(7).shuffle(numbers)
    return numbers


def audience_filter(env: dict[str, str], workdir: Path, subscribed: list[str]) -> Figure:
    """`optledger audience filter` over AUDIENCE_SIZE numbers: rate and peak RSS."""
    source = workdir / "audience.txt"
    with source.open("w") as out:
        for index in range(AUDIENCE_SIZE):
            if index < len(subscribed):
                out.write(subscribed[index] + "\n")
            else:
                out.write(f"+1646{200 + index // 10_000:03d}{index % 10_000:04d}\n")
    command = [sys.executable, "-m", "optledger", "audience", "filter", str(source)]
    command += ["--company", "bench", "--output", str(workdir / "eligible.txt")]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0.0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss / 1024 / 1024)
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    summary = (process.stderr.read() if process.stderr else "").strip().splitlines()
    if process.returncode != 0:
        raise RuntimeError(f"audience filter failed: {summary}")
    rate = AUDIENCE_SIZE / seconds
    return Figure(
        f"audience filter of {AUDIENCE_SIZE:,} numbers",
        f"{rate:,.0f} numbers/s, peak RSS {peak:.0f} MiB ({summary[-1] if summary else ''})",
        "",
        None,
        ">= 50,000/s, RSS < 200 MiB",
        rate >= 50_000 and peak < 200,
    )


def run_configuration(kind: str, workers: int, seconds: float, admin_url: str) -> list[Figure]:
    """Every figure of one database and process count; removes its files and database after."""
    workdir = Path(tempfile.mkdtemp(prefix=f"optledger-bench-{kind}-"))
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'optledger.db'}"
    else:
        url = asyncio.run(create_pg_database(admin_url))
    try:
        return measure(kind, workers, seconds, admin_url, url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if kind != "sqlite":
            asyncio.run(drop_pg_database(url))


def measure(
    kind: str, workers: int, seconds: float, admin_url: str, url: str, workdir: Path
) -> list[Figure]:
    """Every figure of one configuration, on the fresh database `url`."""
    env = bench_env(url, workdir)
    subprocess.run(
        [sys.executable, "-m", "optledger", "migrate"], env=env, check=True, capture_output=True
    )
    boot = bootstrap(env)
    auth = f"Bearer {boot['api_key']}"
    login = boot["basic_auth"]
    basic = (
        "Basic " + base64.b64encode(f"{login['username']}:{login['password']}".encode()).decode()
    )

    bare = bare_starlette(seconds, workers)
    if kind == "sqlite":
        database_rate = sqlite_inserts(workdir / "baseline.db", seconds)
        database_name = "committed inserts (FULL)"
        database_label = f"{database_rate:,.0f} inserts/s"
        floor = minimal_subscribe(workdir / "minimal.db", seconds)
    else:
        floor = None
        database_rate, latency = pgbench_tpcb(admin_url, seconds)
        database_name = "pgbench tpcb-like"
        database_label = f"{database_rate:,.0f} tps, avg {latency:.1f} ms"

    server = Server(env, workers=workers)
    server.start()
    assert server.process is not None
    pid = server.process.pid
    try:
        # A live database has statistics (autovacuum analyzes within a minute): warm
        # up with subscribers the measured phases never touch, then analyze.
        run_wrk(server.url, "subscribe", min(seconds, 3), auth, WARM_UP_OFFSET)
        analyze(url)
        subscribe = run_wrk(server.url, "subscribe", seconds, auth, server_pid=pid)
        subscribed = subscribed_numbers(url)
        listed = workdir / "subscribed.txt"
        listed.write_text("\n".join(subscribed) + "\n")
        eligibility = run_wrk(server.url, "eligibility", seconds, auth, str(listed), server_pid=pid)
        batch = run_wrk(
            server.url, "batch", seconds, auth, str(listed), connections=4, server_pid=pid
        )
        keys = workdir / "person_keys.txt"
        keys.write_text("\n".join(first_column(url, PERSON_KEYS)) + "\n")
        vibes = run_wrk(
            server.url, "vibes", seconds, basic, str(keys), boot["company_key"], server_pid=pid
        )
        # While the subscribed numbers are still in: a realistic share is eligible.
        audience = audience_filter(env, workdir, subscribed) if workers == 1 else None
        unsubscribe = run_wrk(server.url, "unsubscribe", seconds, auth, str(listed), server_pid=pid)
    finally:
        server.stop()
    loads = (subscribe, eligibility, batch, vibes, unsubscribe)
    rss = max(max(run.peak_rss_mb or [0.0]) for run in loads)
    rss_total = max(run.peak_total_rss_mb for run in loads)
    processes = max(len(run.peak_rss_mb) for run in loads)
    lookups = batch.per_second * 1000
    subscribe_target = 0.3
    figures = [
        Figure(
            "eligibility (GET /v1/subscriptions)",
            _rate(eligibility),
            f"bare Starlette {bare.per_second:,.0f} req/s",
            eligibility.per_second / bare.per_second,
            ">= 0.2x, p99 < 25 ms",
            eligibility.per_second >= 0.2 * bare.per_second and eligibility.p99_ms < 25,
        ),
        Figure(
            "Vibes subscriptions of a person (GET .../persons/{key}/subscriptions)",
            _rate(vibes),
            f"bare Starlette {bare.per_second:,.0f} req/s",
            vibes.per_second / bare.per_second,
            ">= 0.2x, p99 < 25 ms (as eligibility)",
            vibes.per_second >= 0.2 * bare.per_second and vibes.p99_ms < 25,
        ),
        Figure(
            "subscribe, new numbers",
            _rate(subscribe),
            f"{database_name} {database_label}",
            subscribe.per_second / database_rate,
            ">= 0.3x" + (", p99 < 100 ms" if kind != "sqlite" else ""),
            subscribe.per_second >= subscribe_target * database_rate
            and (kind == "sqlite" or subscribe.p99_ms < 100),
        ),
        *(
            [
                Figure(
                    "reference: a raw ASGI handler writing a subscribe's rows, no framework",
                    _rate(floor),
                    f"{database_name} {database_label}",
                    floor.per_second / database_rate,
                    "(the most Python reaches here)",
                    None,
                )
            ]
            if floor is not None
            else []
        ),
        Figure(
            "unsubscribe (with opt-out confirmation)",
            _rate(unsubscribe),
            f"{database_name} {database_label}",
            unsubscribe.per_second / database_rate,
            "",
            None,
        ),
        Figure(
            "batch eligibility, 1,000 numbers a request",
            f"{lookups:,.0f} lookups/s ({_rate(batch)}, 4 connections)",
            "",
            None,
            ">= 50,000 lookups/s",
            lookups >= 50_000,
        ),
        Figure(
            "server RSS under load, per process",
            f"{rss:.0f} MiB"
            + (f" ({processes} processes, {rss_total:.0f} MiB together)" if processes > 1 else ""),
            "",
            None,
            "< 150 MiB",
            rss < 150,
        ),
    ]
    if audience is not None:
        figures.append(audience)
    if workers > 1:
        # The targets are for one process; more processes are reported beside them.
        figures = [
            figure if figure.name.startswith("server RSS") else replace(figure, target="", met=None)
            for figure in figures
        ]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each load phase")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    options = parser.parse_args()
    if not 1 <= options.seconds <= 60:
        parser.error("--seconds must be between 1 and 60")
    admin_url = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)
    configurations = [("sqlite", 1), ("postgresql", 1), ("postgresql", 2)]
    summary = []
    for kind, workers in configurations:
        if options.only and kind != options.only:
            continue
        title = f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}, {workers} server process"
        title += "es" if workers > 1 else ""
        figures = run_configuration(kind, workers, options.seconds, admin_url)
        print_table(title, [figure.row() for figure in figures])
        summary += [(title, figure) for figure in figures if figure.met is not None]
    print("\n== targets")
    for title, figure in summary:
        print(f"{'met' if figure.met else 'MISSED':6}  {title}: {figure.name}")
    if kind == "sqlite":
        print("(SQLite takes one writer process: `serve --workers 2` needs PostgreSQL.)")


if __name__ == "__main__":
    main()
