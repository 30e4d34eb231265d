"""User attribute upserts per second on PostgreSQL, next to a same-run raw baseline.

Starts `optledger serve` on a fresh PostgreSQL database, sends a bounded number of
`POST /v2/user/attributes` requests at a fixed concurrency from this process on
127.0.0.1 (first creating people, then updating the same people), and prints
requests/s, p50/p99 latency and server RSS. The baseline is the same number of raw
`INSERT ... ON CONFLICT DO UPDATE` statements through asyncpg at the same
concurrency, each its own transaction: the floor of one upsert round trip.

    .venv/bin/python -m bench.bench_attributes [--requests 2000] [--concurrency 16]

The PostgreSQL server is `OPTLEDGER_BENCH_POSTGRES_URL` (default: the test server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

# Runnable as `python bench/bench_attributes.py` as well as `python -m bench...`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_PG,
    LoadResult,
    Server,
    bench_env,
    bootstrap,
    create_pg_database,
    print_table,
    run_load,
    timed_concurrently,
)

MAX_REQUESTS = 10_000


def upsert_body(index: int, round_: int) -> dict[str, Any]:
    """One person's upsert: identifiers, standard and custom attributes."""
    return {
        "identifiers": {"phone": f"+1914844{index % 10000:04d}", "clientUserId": f"cu-{index}"},
        "attributes": {
            "firstName": f"Person {index}",
            "lastName": "Bench",
            "location": {"city": "Brooklyn", "zip": "11222"},
            "custom": {"tier": ["silver", "gold"][round_ % 2], "points": index + round_},
        },
    }


async def drive(server: Server, api_key: str, count: int, concurrency: int) -> list[LoadResult]:
    headers = {"Authorization": f"Bearer {api_key}"}
    results = []
    for round_, name in enumerate(("upsert new person", "upsert same person")):
        result = await run_load(
            name,
            server.url,
            lambda i, r=round_: ("POST", "/v2/user/attributes", upsert_body(i, r)),
            count=count,
            concurrency=concurrency,
            headers=headers,
        )
        result.rss_mb = server.rss_mb()
        results.append(result)
    return results


async def raw_upsert_baseline(admin_url: str, count: int, concurrency: int) -> LoadResult:
    """`count` single-statement upserts (each committed) over `concurrency` connections."""
    url = make_url(await create_pg_database(admin_url, prefix="bench_raw"))
    pool = await asyncpg.create_pool(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
        min_size=concurrency,
        max_size=concurrency,
    )
    await pool.execute(
        "CREATE TABLE person_attributes (company_id bigint, person_key text, name text,"
        " value jsonb, updated_at timestamptz, PRIMARY KEY (company_id, person_key, name))"
    )
    statement = (
        "INSERT INTO person_attributes VALUES (1, $1, 'tier', $2::jsonb, now())"
        " ON CONFLICT (company_id, person_key, name)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
    )

    async def upsert(index: int) -> None:
        await pool.execute(statement, f"p-{index}", json.dumps(index))

    seconds, latencies = await timed_concurrently(count, concurrency, upsert)
    await pool.close()
    return LoadResult("raw INSERT ON CONFLICT", count, seconds, latencies, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per phase (max 10000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    count = min(args.requests, MAX_REQUESTS)
    admin = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)

    with tempfile.TemporaryDirectory(prefix="optledger-bench-") as tmp:
        env = bench_env(asyncio.run(create_pg_database(admin)), Path(tmp))
        credentials = bootstrap(env)
        server = Server(env, workers=args.workers)
        server.start()
        try:
            results = asyncio.run(drive(server, credentials["api_key"], count, args.concurrency))
        finally:
            server.stop()
    results.append(asyncio.run(raw_upsert_baseline(admin, count, args.concurrency)))
    print_table(
        f"POST /v2/user/attributes on PostgreSQL: {count} requests per phase, "
        f"concurrency {args.concurrency}, {args.workers} server process(es)",
        [result.row() for result in results],
    )


if __name__ == "__main__":
    main()
