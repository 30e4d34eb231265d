"""Subscribe, eligibility and unsubscribe throughput on SQLite and PostgreSQL.

Starts `optledger serve` on each database, drives a bounded number of requests at a
fixed concurrency from this process on 127.0.0.1, and prints requests/s, p50/p99
latency and server RSS, next to a same-run database baseline (pgbench TPC-B-like for
PostgreSQL, raw committed inserts for SQLite).

    .venv/bin/python -m bench.bench_core [--requests 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_PG,
    LoadResult,
    Server,
    bench_env,
    bootstrap,
    create_pg_database,
    pgbench_baseline,
    print_table,
    run_load,
    sqlite_baseline,
)


def phone(index: int) -> str:
    return f"+1914844{index % 10000:04d}"


async def drive(server: Server, api_key: str, count: int, concurrency: int) -> list[LoadResult]:
    headers = {"Authorization": f"Bearer {api_key}"}
    phases: list[tuple[str, Any]] = [
        (
            "subscribe",
            lambda i: (
                "POST",
                "/v1/subscriptions",
                {
                    "user": {"phone": phone(i)},
                    "locale": {"language": "en", "country": "US"},
                    "subscriptionType": "MARKETING",
                    "singleOptIn": True,
                },
            ),
        ),
        ("eligibility", lambda i: ("GET", f"/v1/subscriptions?phone=%2B{phone(i)[1:]}", None)),
        (
            "unsubscribe",
            lambda i: (
                "POST",
                "/v1/subscriptions/unsubscribe",
                {"user": {"phone": phone(i)}, "notification": {"disabled": True}},
            ),
        ),
    ]
    results = []
    for name, factory in phases:
        result = await run_load(
            name, server.url, factory, count=count, concurrency=concurrency, headers=headers
        )
        result.rss_mb = server.rss_mb()
        results.append(result)
    return results


def bench_backend(
    label: str, database_url: str, data_dir: Path, count: int, concurrency: int, workers: int
) -> list[dict[str, Any]]:
    env = bench_env(database_url, data_dir)
    credentials = bootstrap(env)
    server = Server(env, workers=workers)
    server.start()
    try:
        results = asyncio.run(drive(server, credentials["api_key"], count, concurrency))
    finally:
        server.stop()
    return [{"database": label, **result.row()} for result in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per phase (max 10000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pg-workers", type=int, default=2, help="server processes on PG")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    count = min(args.requests, 10000)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="optledger-bench-") as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_url = f"sqlite+aiosqlite:///{sqlite_dir / 'optledger.db'}"
        rows += bench_backend("sqlite", sqlite_url, sqlite_dir, count, args.concurrency, 1)
        baseline = asyncio.run(
            sqlite_baseline(
                Path(tmp) / "baseline.db", concurrency=args.concurrency, transactions=count
            )
        )
        rows.append({"database": "sqlite", **baseline.row()})

        if not args.skip_postgres:
            admin = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)
            pg_url = asyncio.run(create_pg_database(admin))
            rows += bench_backend(
                "postgresql", pg_url, Path(tmp) / "pg", count, args.concurrency, args.pg_workers
            )
            pg_base = pgbench_baseline(admin, concurrency=args.concurrency, transactions=count)
            rows.append({"database": "postgresql", **pg_base.row()})

    print_table(
        f"optledger core API: {count} requests per phase, concurrency {args.concurrency}", rows
    )


if __name__ == "__main__":
    main()
