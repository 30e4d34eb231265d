"""Ledger benchmark: seal and verify a company of 1,000,000 events, on SQLite and PostgreSQL.

For each database, on a fresh one: a company is bootstrapped and a few histories are
made through the product's own HTTP API (a single opt-in, one opted in then out, a
double opt-in left pending, one confirmed). Those rows (person, records, events) are
then copied, with new ids and contact points, until the company holds `--events`
events, and loaded in bulk (COPY on PostgreSQL, executemany on SQLite).

Then, timed on the same data:
- **seal**: `seal_ledger`, every event hashed into leaves and signed heads;
- **read floor** (a baseline): the pages verification reads (each event's leaf bytes
  as the database writes them, leaves, records and their transition events) through
  the same repository functions, in one process, with no check at all;
- **verify, one process** (the other baseline): `verify_ledger` with one worker,
  everything in this process, as before verification ran in parts;
- **verify**, twice (the first right after sealing, on a database fresh from its
  load, the second warm): `verify_ledger` as `optledger ledger verify` runs it, in
  parts over one worker per CPU; leaves, seals and replay included;
- **the command**: `optledger ledger verify --json`, run as a user runs it, its
  start-up (about two seconds of imports and settings) included.

Figures are events/s, the ratio of the warm verify to one process, and the peak
RSS of this process and of its largest worker (sampled).
Everything stays on 127.0.0.1 and in a temporary folder; the PostgreSQL database is
dropped afterwards.

    .venv/bin/python -m bench.bench_ledger [--events 1000000] [--databases sqlite,postgresql]

The PostgreSQL server is `OPTLEDGER_BENCH_POSTGRES_URL` (default: the test server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optledger.core.ledger.parts import Splitting

if TYPE_CHECKING:
    from optledger.storage.database import Database

# Verification's workers import this module again (as `__mp_main__`), as those of
# `optledger ledger verify` import its light entry point. So what the workers do not
# need (the app, the HTTP client, the migrations, the bench's servers) is imported
# where it is used: each import here would cost each worker what the command's
# workers never spend, up to seconds.
SECRET = "bench-ledger-secret"
PAGE = 5000


async def read_floor(database: Database, company_id: int) -> int:
    """Read every page verification reads, as it reads them, checking nothing; the
    events read."""
    from optledger.storage.repositories import ledger as ledger_rows
    from optledger.storage.repositories import record_histories
    from optledger.storage.repositories.leaf_columns import leaves_of_events
    from optledger.storage.repositories.leaf_contents import leaf_contents_page

    count = 0
    async with database.connection() as connection:
        after = 0
        while page := (
            await leaf_contents_page(connection, company_id, after, ledger_rows.NO_BOUND, PAGE)
        ).ids:
            through = page[-1] if len(page) == PAGE else ledger_rows.NO_BOUND
            await leaves_of_events(connection, company_id, after, through, PAGE)
            count += len(page)
            after = page[-1]
        after, bound = 0, ledger_rows.NO_BOUND
        while records := await record_histories.record_states_page(
            connection, company_id, after, bound, PAGE
        ):
            last = records[-1].id if len(records) == PAGE else bound
            await record_histories.transitions_of_records(connection, company_id, after, last)
            after = last
    return count


async def timed(operation: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await operation()
    return time.perf_counter() - started, result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verify_command_seconds(url: str) -> float:
    """The seconds `optledger ledger verify --json` takes, start-up included, as a
    user runs it."""
    environment = {**os.environ, "OPTLEDGER_DATABASE_URL": url, "OPTLEDGER_SECRET_KEY": SECRET}
    command = [sys.executable, "-m", "optledger", "ledger", "verify", "--json"]
    started = time.perf_counter()
    finished = subprocess.run(command, env=environment, capture_output=True, check=True)
    seconds = time.perf_counter() - started
    assert json.loads(finished.stdout)["ok"], finished.stdout[:500]
    return seconds


async def measure(name: str, url: str, events: int) -> dict[str, Any]:
    """Load, seal, read, verify: one database's figures."""
    from bench.ledger_data import load_copies, make_templates
    from bench.wrk import RssSampler
    from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
    from optledger.settings import Settings
    from optledger.storage.database import Database
    from optledger.storage.migrate import upgrade_database

    await upgrade_database(url)
    settings = Settings(database_url=url, secret_key=SECRET, run_worker_in_process=False)
    database = Database(url)
    try:
        company_id, templates = await make_templates(database, settings)
        started = time.perf_counter()
        await load_copies(url, database, templates, events)
        load_seconds = time.perf_counter() - started
        seal_seconds, _ = await timed(lambda: seal_ledger(database))
        verify_runs = []
        # Workers are children of a fork server that lives as long as this process, so
        # they are never reaped into its resource usage: they are sampled instead.
        with RssSampler(os.getpid()) as sampler:
            for _ in range(2):
                seconds, tally = await timed(lambda: verify_ledger(database))
                assert tally.ok, [finding.detail for finding in tally.findings[:5]]
                verify_runs.append((seconds, tally.events))
        total = verify_runs[0][1]
        floor_seconds, read = await timed(lambda: read_floor(database, company_id))
        one_seconds, _ = await timed(lambda: verify_ledger(database, None, Splitting(workers=1)))
        command_seconds = verify_command_seconds(url)
        return {
            "database": name,
            "events": total,
            "load_s": round(load_seconds, 1),
            "seal_events_per_s": round(total / seal_seconds),
            "read_floor_events_per_s": round(read / floor_seconds),
            "verify_one_process_events_per_s": round(total / one_seconds),
            "verify_first_events_per_s": round(total / verify_runs[0][0]),
            "verify_warm_events_per_s": round(total / verify_runs[1][0]),
            "verify_warm_to_one_process": round(one_seconds / verify_runs[1][0], 2),
            "verify_command_events_per_s": round(total / command_seconds),
            "workers": Splitting().workers,
            "peak_rss_mib": round(peak_rss_mib()),
            "worker_peak_rss_mib": round(max(sampler.serving_processes())),
        }
    finally:
        await database.dispose()


def main() -> None:
    from bench.common import DEFAULT_PG, ROOT, create_pg_database, drop_pg_database, print_table

    admin_url = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    # The default log level, as a user runs it.
    logging.basicConfig(level=logging.WARNING)
    results = []
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="optledger-bench-ledger-") as folder:
                url = f"sqlite+aiosqlite:///{Path(folder) / 'optledger.db'}"
                results.append(asyncio.run(measure(name, url, args.events)))
        else:
            url = asyncio.run(create_pg_database(admin_url, prefix="bench_ledger"))
            try:
                results.append(asyncio.run(measure(name, url, args.events)))
            finally:
                asyncio.run(drop_pg_database(url))
        print(json.dumps(results[-1]), flush=True)
    print_table("ledger: seal and verify", results)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
