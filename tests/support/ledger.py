"""What the ledger tests share: writing events, reading the company's event ids, and
changing rows behind the product's back as someone with database access could."""

from __future__ import annotations

import json
from typing import Any

import httpx

from optledger.core.ledger.leaves import event_leaf_hash, stored_content_hash
from optledger.storage.database import Database
from optledger.storage.repositories.leaf_contents import LeafContents, leaf_contents_page
from optledger.storage.repositories.ledger import (
    NO_BOUND,
    StoredEvent,
    ledger_event,
    stored_events_page,
)
from optledger.storage.sql import Connection, Query, as_dict
from tests.support.helpers import subscribe

EVENT_IDS = Query("SELECT id FROM events WHERE company_id = :company_id ORDER BY id")
LEAF_EVENT_IDS = Query(
    "SELECT event_id FROM ledger_leaves WHERE company_id = :company_id ORDER BY leaf_index"
)
SEAL_IDS = Query("SELECT id FROM ledger_seals WHERE company_id = :company_id ORDER BY tree_size")


async def subscribe_many(client: httpx.AsyncClient, count: int, first: int = 0) -> None:
    """`count` new phone numbers subscribed through the API."""
    for number in range(first, first + count):
        response = await subscribe(client, f"+1914555{number:04d}")
        assert response.status_code in (200, 201, 202), response.text


async def ids_of(database: Database, query: Query, company_id: int) -> list[int]:
    """The first column of each row of `query` for the company."""
    rows = await database.read(
        lambda connection: connection.fetch(query, {"company_id": company_id})
    )
    return [int(row[0]) for row in rows]


async def change(database: Database, sql: str, **params: Any) -> None:
    """Run one statement straight on the database, outside any rule."""

    async def apply(connection: Connection) -> None:
        await connection.execute(Query(sql), params)

    await database.run(apply)


async def event_row(database: Database, event_id: int) -> dict[str, Any]:
    """An event's stored row, as the database holds it."""
    row = await database.read(
        lambda connection: connection.fetchrow(
            Query("SELECT * FROM events WHERE id = :id"), {"id": event_id}
        )
    )
    assert row is not None
    return as_dict(row)


async def put_back(database: Database, row: dict[str, Any]) -> None:
    """Insert an event row again, with its own id."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    params = dict(row)
    if isinstance(params["data"], dict):
        params["data"] = json.dumps(params["data"])
    await change(database, f"INSERT INTO events ({columns}) VALUES ({values})", **params)


async def events_not_stored_canonically(database: Database, company_id: int) -> list[int]:
    """The company's events whose leaf bytes, as the database writes them from the
    stored columns, do not hash to the leaf of their decoded content: the ones
    verification has to decode."""

    async def read(connection: Connection) -> tuple[LeafContents, list[StoredEvent]]:
        written = await leaf_contents_page(connection, company_id, 0, NO_BOUND, 100_000)
        events = await stored_events_page(connection, company_id, 0, NO_BOUND, 100_000)
        return written, events

    written, events = await database.read(read)
    assert written.ids == [event.id for event in events]
    return [
        event.id
        for event, content in zip(events, written.contents, strict=True)
        if stored_content_hash(content) != event_leaf_hash(ledger_event(event))
    ]
