"""Import benchmark: `optledger import` of a generated list on SQLite and PostgreSQL.

Generates one CSV (default 1,000,000 rows: a new phone on every row, an email on
every other row, `opted_in_at`, `source`) and, for each database, runs the real
command in a subprocess on a fresh database: rows/s (the command's own clock, from
its first row to its last commit, and the wall clock with the process start), and
its peak RSS (sampled, and the kernel's high-water mark). Beside it, in the same
run, the database's own bulk load of the same file: `COPY` into a bare table on
PostgreSQL, `executemany` into a bare table in one transaction on SQLite (WAL,
`synchronous=FULL`, as optledger opens it).

On PostgreSQL a second baseline, the schema's floor: the inserts each row needs
(person, identifiers, records, events) and nothing else, set-based, on one
connection (`pg_schema_floor`), over the first 100,000 rows.

Bounded: each import is stopped after `--limit` seconds (its rate then counts the
rows it committed). Everything stays on 127.0.0.1 and in a temporary folder; the
PostgreSQL database is dropped afterwards.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--databases sqlite,postgresql]

The PostgreSQL server is `OPTLEDGER_BENCH_POSTGRES_URL` (default: the test server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from sqlalchemy.engine import make_url

# Runnable as `python bench/bench_import.py` as well as `python -m bench...`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_PG,
    ROOT,
    bench_env,
    bootstrap,
    create_pg_database,
    drop_pg_database,
    print_table,
)
from optledger.storage.migrate import upgrade_database

ADMIN_URL = os.environ.get(
    "OPTLEDGER_BENCH_POSTGRES_URL", os.environ.get("OPTLEDGER_TEST_POSTGRES_URL", DEFAULT_PG)
)
BARE_TABLE = "bare_import (phone TEXT, email TEXT, opted_in_at TEXT, source TEXT)"
MIB = 1024 * 1024


def generate(path: Path, rows: int) -> None:
    """A list exported from elsewhere: every number new, half the rows with an email."""
    with path.open("w", newline="") as handle:
        handle.write("phone,email,opted_in_at,source\n")
        for index in range(rows):
            # +1 then an area code and exchange of 2-9: valid-looking NANP numbers.
            phone = f"+1{212 + index // 10_000_000:03d}{2_000_000 + index % 8_000_000:07d}"
            email = f"person{index}@example.com" if index % 2 == 0 else ""
            minute = index % 1440
            handle.write(
                f"{phone},{email},2024-05-01T{minute // 60:02d}:{minute % 60:02d}:00Z,web\n"
            )


def pg_baseline(url: str, path: Path, rows: int) -> float:
    """COPY of the same file into a bare table: PostgreSQL's own bulk load, rows/s."""

    async def run() -> float:
        parsed = make_url(url)
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username,
            password=parsed.password, database=parsed.database,
        )  # fmt: skip
        try:
            await connection.execute(f"CREATE TABLE {BARE_TABLE}")
            started = time.perf_counter()
            await connection.copy_to_table(
                "bare_import", source=str(path), format="csv", header=True
            )
            return rows / (time.perf_counter() - started)
        finally:
            await connection.execute("DROP TABLE IF EXISTS bare_import")
            await connection.close()

    return asyncio.run(run())


FLOOR_ROWS = 100_000
FLOOR_BATCH = 2000


def pg_schema_floor(url: str, env: dict[str, str], path: Path) -> float:
    """The inserts no import can avoid, alone: each row's person, identifiers, records
    and events, 2,000 rows a statement through `unnest`, one transaction a batch, on
    one connection; no lookups, no checks, no client work. Rows/s over the first
    `FLOOR_ROWS` rows, for another company of the same database."""
    bootstrap(env, company="floor")

    async def run() -> float:
        parsed = make_url(url)
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username,
            password=parsed.password, database=parsed.database,
        )  # fmt: skip
        try:
            company = await connection.fetchval("SELECT id FROM companies WHERE key = 'floor'")
            unit = await connection.fetchval(
                "SELECT min(id) FROM sign_up_units WHERE company_id = $1", company
            )
            lists = dict(await connection.fetch(
                "SELECT channel, id FROM subscription_lists WHERE company_id = $1 "
                "AND type = 'MARKETING' AND is_default", company,
            ))  # fmt: skip
            with path.open(newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                rows = [row for _, row in zip(range(FLOOR_ROWS), reader, strict=False)]
            started = time.perf_counter()
            for start in range(0, len(rows), FLOOR_BATCH):
                async with connection.transaction():
                    await _floor_batch(
                        connection, company, unit, lists, rows[start : start + FLOOR_BATCH]
                    )
            return len(rows) / (time.perf_counter() - started)
        finally:
            await connection.close()

    return asyncio.run(run())


async def _floor_batch(
    connection: Any, company: int, unit: int, lists: dict[str, int], rows: list[list[str]]
) -> None:
    people = [r[0] for r in await connection.fetch(
        "INSERT INTO persons (company_id, person_key, created_at, updated_at) "
        "SELECT $1, k, now(), now() FROM unnest($2::text[]) k RETURNING id",
        company, [os.urandom(16).hex() for _ in rows],
    )]  # fmt: skip
    points = [(person, "phone", "TEXT", row[0]) for person, row in zip(people, rows, strict=True)]
    points += [(p, "email", "EMAIL", row[1]) for p, row in zip(people, rows, strict=True) if row[1]]
    persons, kinds, channels, values = (list(column) for column in zip(*points, strict=True))
    await connection.execute(
        "INSERT INTO person_identifiers (company_id, person_id, kind, name, value, created_at) "
        "SELECT $1, p, k, '', v, now() FROM unnest($2::bigint[], $3::text[], $4::text[]) "
        "AS w(p, k, v)",
        company, persons, kinds, values,
    )  # fmt: skip
    records = [r[0] for r in await connection.fetch(
        "INSERT INTO subscription_records (company_id, person_id, list_id, unit_id, type, "
        "channel, contact_value, status, single_opt_in, opt_in_date, disclosure_text, language, "
        "country, source, consented_at, created_at, updated_at) "
        "SELECT $1, p, l, $2, 'MARKETING', c, v, 'ACTIVE', true, now(), $3, 'en', 'US', "
        "'import', now(), now(), now() "
        "FROM unnest($4::bigint[], $5::bigint[], $6::text[], $7::text[]) AS r(p, l, c, v) "
        "RETURNING id",
        company, unit, "x" * 250, persons, [lists[c] for c in channels], channels, values,
    )]  # fmt: skip
    await connection.execute(
        "INSERT INTO events (company_id, type, person_id, record_id, channel, contact_value, "
        "data, created_at, topic) "
        "SELECT $1, 'subscription_created', p, r, c, v, '{}'::json, now(), 'subscribed' "
        "FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS e(p, r, c, v)",
        company, persons, records, channels, values,
    )  # fmt: skip


def sqlite_baseline(folder: Path, path: Path, rows: int) -> float:
    """executemany of the parsed file into a bare table, one transaction, rows/s."""
    connection = sqlite3.connect(folder / "baseline.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(f"CREATE TABLE {BARE_TABLE}")
    started = time.perf_counter()
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO bare_import VALUES (?, ?, ?, ?)", reader)
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return rows / seconds


def run_import(
    env: dict[str, str], path: Path, unit: str, limit: float, extra: list[str]
) -> dict[str, Any]:
    """The real command, its RSS sampled every 0.1 s; stopped (SIGINT) after `limit` s."""
    command = [sys.executable, "-m", "optledger", "import", str(path), "--unit", unit, *extra]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        watched = psutil.Process(process.pid)
        peak, stopped = 0, False
        while True:
            # wait4 reaps the process and hands over the kernel's RSS high-water mark.
            pid, _, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            with contextlib.suppress(psutil.NoSuchProcess):
                peak = max(peak, watched.memory_info().rss)
            if not stopped and time.perf_counter() - started > limit:
                process.send_signal(signal.SIGINT)
                stopped = True
            time.sleep(0.1)
        process.returncode = 0  # reaped above; keeps Popen from waiting again
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    clock = re.search(r"([\d,]+) rows in ([\d.]+) s", stdout)
    return {
        "rows": int(clock.group(1).replace(",", "")) if clock else 0,
        "seconds": float(clock.group(2)) if clock else wall,
        "wall_seconds": round(wall, 1),
        # Linux gives ru_maxrss in KiB.
        "peak_rss_mib": round(max(peak, usage.ru_maxrss * 1024) / MIB, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "stopped_after_limit": stopped,
        "summary": " ".join(stdout.strip().splitlines()[-2:] or stderr.strip().splitlines()[-3:]),
    }


def measure(
    name: str,
    env: dict[str, str],
    path: Path,
    baseline: float,
    limit: float,
    jobs: int | None,
    floor: float | None = None,
) -> dict[str, Any]:
    unit = next(u["id"] for u in bootstrap(env)["sign_up_units"] if u["type"] == "MARKETING")
    result = run_import(env, path, unit, limit, [] if jobs is None else ["--jobs", str(jobs)])
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0.0
    return {
        "database": name,
        "jobs": jobs or 1,
        "rows": result["rows"],
        "rows_per_s": round(rate),
        "wall_s": result["wall_seconds"],
        "peak_rss_mib": result["peak_rss_mib"],
        "cpu_s": result["cpu_seconds"],
        "baseline": "COPY" if name == "postgresql" else "executemany",
        "baseline_rows_per_s": round(baseline),
        "ratio": round(rate / baseline, 3) if baseline else None,
        "schema_floor_rows_per_s": None if floor is None else round(floor),
        "ratio_to_floor": None if not floor else round(rate / floor, 2),
        "stopped": result["stopped_after_limit"],
        "summary": result["summary"],
    }


async def fresh_pg() -> str:
    url = await create_pg_database(ADMIN_URL, prefix="bench_import")
    await upgrade_database(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--limit", type=float, default=600, help="seconds per import")
    parser.add_argument("--jobs", default="2", help="PostgreSQL: --jobs values to run, e.g. 1,2")
    args = parser.parse_args()
    databases = args.databases.split(",")
    results = []
    with tempfile.TemporaryDirectory(prefix="optledger-bench-import-") as folder:
        path = Path(folder) / "list.csv"
        generate(path, args.rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / MIB:.0f} MiB", flush=True)
        if "postgresql" in databases:
            for jobs in [int(value) for value in args.jobs.split(",")]:
                # A fresh database each time: every run imports into empty tables.
                url = asyncio.run(fresh_pg())
                try:
                    baseline = pg_baseline(url, path, args.rows)
                    env = bench_env(url, Path(folder))
                    floor = pg_schema_floor(url, env, path)
                    results.append(
                        measure("postgresql", env, path, baseline, args.limit, jobs, floor)
                    )
                    print(json.dumps(results[-1]), flush=True)
                finally:
                    asyncio.run(drop_pg_database(url))
        if "sqlite" in databases:
            data = Path(folder) / "sqlite"
            data.mkdir()
            baseline = sqlite_baseline(Path(folder), path, args.rows)
            env = bench_env(f"sqlite+aiosqlite:///{data / 'optledger.db'}", data)
            results.append(measure("sqlite", env, path, baseline, args.limit, None))
            print(json.dumps(results[-1]), flush=True)
    print_table(
        "optledger import", [{k: v for k, v in r.items() if k != "summary"} for r in results]
    )
    for result in results:
        print(f"{result['database']} (jobs {result['jobs']}): {result['summary']}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "import.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
