"""The company the ledger benchmark verifies: template histories made through the
product's own HTTP API, then copied with new ids and contact points and loaded in
bulk (COPY on PostgreSQL, executemany on SQLite).

Kept apart from `bench_ledger`, which verification's spawned workers import again:
the app these imports bring would cost each worker seconds that the workers of
`optledger ledger verify` never spend.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from optledger.app import create_app
from optledger.core.use_cases.bootstrap import set_up_company
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.sql import Connection, Query, as_dict

COPY_BATCH = 20_000

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
