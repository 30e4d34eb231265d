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
  parts over one worker per CPU; leaves, seals and replay included.

Figures are events/s, the ratio of the warm verify to one process, and the peak
RSS of this process and of its largest worker.
Everything stays on 127.0.0.1 and in a temporary folder; the PostgreSQL database is
dropped afterwards.

    .venv/bin/python -m bench.bench_ledger [--events 1000000] [--databases sqlite,postgresql]

The PostgreSQL server is `OPTLEDGER_BENCH_POSTGRES_URL` (default: the test server).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import resource
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from bench.common import DEFAULT_PG, ROOT, create_pg_database, drop_pg_database, print_table
from optledger.app import create_app
from optledger.core.ledger.parts import Splitting
from optledger.core.use_cases.bootstrap import set_up_company
from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.repositories import ledger as ledger_rows
from optledger.storage.repositories import record_histories
from optledger.storage.repositories.leaf_columns import leaves_of_events
from optledger.storage.repositories.leaf_contents import leaf_contents_page
from optledger.storage.sql import Connection, Query, as_dict

ADMIN_URL = os.environ.get("OPTLEDGER_BENCH_POSTGRES_URL", DEFAULT_PG)
SECRET = "bench-ledger-secret"
PAGE = 5000
COPY_BATCH = 20_000
MIB = 1024 * 1024

TEMPLATE_PHONES = ("+19145550001", "+19145550002", "+19145550003", "+19145550004")
HISTORY_ROWS = {
    "persons": Query("SELECT * FROM persons WHERE company_id = :company_id ORDER BY id"),
    "subscription_records": Query(
        "SELECT * FROM subscription_records WHERE company_id = :company_id ORDER BY id"
    ),
    "events": Query("SELECT * FROM events WHERE company_id = :company_id ORDER BY id"),
}
MAX_IDS = Query(
    """SELECT (SELECT COALESCE(MAX(id), 0) FROM persons),
        (SELECT COALESCE(MAX(id), 0) FROM subscription_records),
        (SELECT COALESCE(MAX(id), 0) FROM events)"""
)


@dataclass(frozen=True)
class Templates:
    """The rows the API made for the template people, by table, as the database holds them."""

    persons: list[dict[str, Any]]
    records: list[dict[str, Any]]
    events: list[dict[str, Any]]


async def make_templates(database: Database, settings: Settings) -> tuple[int, Templates]:
    """Bootstrap a company and make the template histories through the HTTP API."""
    boot = await set_up_company(database, settings, "bench-ledger", actor=None)
    app = create_app(settings, database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        headers = {"Authorization": f"Bearer {boot.api_key.token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            single, ended, pending, confirmed = TEMPLATE_PHONES
            for phone, single_opt_in in ((single, True), (ended, True), (pending, False)):
                body = {
                    "user": {"phone": phone},
                    "locale": {"language": "en", "country": "US"},
                    "subscriptionType": "MARKETING",
                    "singleOptIn": single_opt_in,
                }
                response = await client.post("/v1/subscriptions", json=body)
                response.raise_for_status()
            body = {"user": {"phone": ended}}
            (await client.post("/v1/subscriptions/unsubscribe", json=body)).raise_for_status()
            body = {
                "user": {"phone": confirmed},
                "locale": {"language": "en", "country": "US"},
                "subscriptionType": "MARKETING",
            }
            (await client.post("/v1/subscriptions", json=body)).raise_for_status()
            reply = {"from": confirmed, "to": "+15550000000", "body": "Y"}
            inbound = f"/inbound/sms/{boot.company.key}"
            (await client.post(inbound, json=reply)).raise_for_status()
    company_id = boot.company.id

    async def read(connection: Connection) -> Templates:
        tables = {}
        for table, query in HISTORY_ROWS.items():
            rows = await connection.fetch(query, {"company_id": company_id})
            tables[table] = [as_dict(row) for row in rows]
        return Templates(tables["persons"], tables["subscription_records"], tables["events"])

    return company_id, await database.read(read)


def copies(
    templates: Templates, first_ids: tuple[int, int, int], events: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for copies of the template histories, until at least `events` events."""
    person_id, record_id, event_id = first_ids
    made = 0
    for copy in itertools.count():
        person_ids: dict[int, int] = {}
        record_ids: dict[int, int] = {}
        contacts = {phone: f"+1555{copy:06d}{index}" for index, phone in enumerate(TEMPLATE_PHONES)}
        for person in templates.persons:
            person_id += 1
            person_ids[person["id"]] = person_id
            yield "persons", {**person, "id": person_id, "person_key": f"bench{person_id}"}
        for record in templates.records:
            record_id += 1
            record_ids[record["id"]] = record_id
            yield (
                "subscription_records",
                {
                    **record,
                    "id": record_id,
                    "person_id": person_ids[record["person_id"]],
                    "contact_value": contacts[record["contact_value"]],
                },
            )
        for event in templates.events:
            event_id += 1
            made += 1
            yield (
                "events",
                {
                    **event,
                    "id": event_id,
                    "person_id": person_ids.get(event["person_id"]),
                    "record_id": record_ids.get(event["record_id"]),
                    "contact_value": contacts.get(event["contact_value"], event["contact_value"]),
                },
            )
        # Whole histories only: a copy cut short would leave records its events do not explain.
        if made >= events:
            return


async def load_copies(url: str, database: Database, templates: Templates, events: int) -> None:
    """Copy the template histories in bulk, straight into the tables."""
    first_ids = await database.read(lambda connection: connection.fetchrow(MAX_IDS, {}))
    assert first_ids is not None
    rows = copies(templates, (first_ids[0], first_ids[1], first_ids[2]), events)
    columns = {
        "persons": list(templates.persons[0]),
        "subscription_records": list(templates.records[0]),
        "events": list(templates.events[0]),
    }
    if url.startswith("sqlite"):
        _load_sqlite(make_url(url).database or "", columns, rows)
    else:
        await _load_postgres(url, columns, rows)


def _batches(
    rows: Iterator[tuple[str, dict[str, Any]]],
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    batch: dict[str, list[dict[str, Any]]] = {
        "persons": [],
        "subscription_records": [],
        "events": [],
    }
    for table, row in rows:
        batch[table].append(row)
        if len(batch["events"]) >= COPY_BATCH:
            yield batch
            batch = {name: [] for name in batch}
    yield batch


def _load_sqlite(
    path: str, columns: dict[str, list[str]], rows: Iterator[tuple[str, dict[str, Any]]]
) -> None:
    connection = sqlite3.connect(path)
    try:
        for batch in _batches(rows):
            for table, items in batch.items():
                names = columns[table]
                sql = (
                    f"INSERT INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})"
                )
                connection.executemany(
                    sql, [[_sqlite_value(item[name]) for name in names] for item in items]
                )
            connection.commit()
    finally:
        connection.close()


def _sqlite_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


async def _load_postgres(
    url: str, columns: dict[str, list[str]], rows: Iterator[tuple[str, dict[str, Any]]]
) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    try:
        for batch in _batches(rows):
            async with connection.transaction():
                for table, items in batch.items():
                    names = columns[table]
                    records = [[_postgres_value(item[name]) for name in names] for item in items]
                    await connection.copy_records_to_table(table, records=records, columns=names)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def _postgres_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


async def read_floor(database: Database, company_id: int) -> int:
    """Read every page verification reads, as it reads them, checking nothing; the
    events read."""
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
        position = (0, 0)
        while records := await record_histories.record_states_page(
            connection, company_id, position, PAGE
        ):
            ids = [record.id for record in records]
            await record_histories.transitions_of_records(connection, company_id, ids)
            position = (records[-1].person_id, records[-1].id)
    return count


async def timed(operation: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await operation()
    return time.perf_counter() - started, result


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


async def measure(name: str, url: str, events: int) -> dict[str, Any]:
    """Load, seal, read, verify: one database's figures."""
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
        for _ in range(2):
            seconds, tally = await timed(lambda: verify_ledger(database))
            assert tally.ok, [finding.detail for finding in tally.findings[:5]]
            verify_runs.append((seconds, tally.events))
        total = verify_runs[0][1]
        floor_seconds, read = await timed(lambda: read_floor(database, company_id))
        one_seconds, _ = await timed(lambda: verify_ledger(database, None, Splitting(workers=1)))
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
            "workers": Splitting().workers,
            "peak_rss_mib": round(peak_rss_mib()),
            "worker_peak_rss_mib": round(peak_rss_mib(resource.RUSAGE_CHILDREN)),
        }
    finally:
        await database.dispose()


def main() -> None:
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
            url = asyncio.run(create_pg_database(ADMIN_URL, prefix="bench_ledger"))
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
