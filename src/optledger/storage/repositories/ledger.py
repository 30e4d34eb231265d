"""The tamper-evident ledger's rows: events as leaves read them, leaf hashes, seals.

Every read is a page by key (a company's events by id, its leaves by index, its
seals by tree size), so sealing and verifying hold one page in memory however
long the ledger is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time, cut_ids

# Past any id: reads of events with no upper bound.
NO_BOUND = 2**63 - 1

# Holding SHARE on `events`, no transaction that drew an events id is still open
# (inserting takes ROW EXCLUSIVE, which SHARE waits for and then keeps out).
SET_LOCK_TIMEOUT = Query("SET LOCAL lock_timeout = '200ms'")
LOCK_EVENTS = Query("LOCK TABLE events IN SHARE MODE")
LAST_EVENT_ID = Query("SELECT COALESCE(MAX(id), 0) FROM events")
COUNT_EVENTS = Query(
    "SELECT COUNT(*) FROM events WHERE company_id = :company_id AND id <= :through"
)
EVENT_AFTER = Query(
    """SELECT id FROM events WHERE company_id = :company_id AND id > :after AND id <= :through
    ORDER BY id LIMIT 1 OFFSET :offset"""
)

_LAST_THROUGH = """COALESCE((SELECT s.through_event_id FROM ledger_seals s
        WHERE s.company_id = c.id ORDER BY s.tree_size DESC LIMIT 1), 0)"""
COMPANIES_TO_SEAL = Query(
    f"""SELECT c.id, c.key FROM companies c
    WHERE EXISTS (SELECT 1 FROM events e WHERE e.company_id = c.id
        AND e.id > {_LAST_THROUGH} AND e.id <= :watermark)
    ORDER BY c.id"""
)
# An event's content, then its redaction if an erasure removed that content (in the
# order `ledger_event` reads them). One statement, so sealing sees the content and the
# redaction of one moment.
LEDGER_EVENT_COLUMNS = """e.id, e.company_id, e.type, e.person_id, e.record_id, e.channel,
    e.contact_value, e.data, e.credential_id, e.client_ip, e.user_agent, e.created_at,
    r.privacy_request_id, r.leaf_hash, r.redacted_hash"""
EVENTS_PAGE = Query(
    f"""SELECT {LEDGER_EVENT_COLUMNS}
    FROM events e LEFT JOIN ledger_redactions r ON r.event_id = e.id
    WHERE e.company_id = :company_id AND e.id > :after AND e.id <= :through
    ORDER BY e.id LIMIT :limit"""
)
_EVENTS_BY_ID = f"""SELECT {LEDGER_EVENT_COLUMNS}
    FROM events e LEFT JOIN ledger_redactions r ON r.event_id = e.id
    WHERE e.company_id = :company_id AND e.id {{in_ids}} ORDER BY e.id"""
# A time Python cannot hold (before year 1, after 9999) comes back as none, which
# does not decode: a finding, where the driver would stop the whole read.
_POSTGRES_TIME_IN_RANGE = """CASE WHEN e.created_at >= '0001-01-01 00:00:00+00'
        AND e.created_at < '10000-01-01 00:00:00+00' THEN e.created_at END"""
EVENTS_BY_ID = Query(
    _EVENTS_BY_ID.format(in_ids="IN (SELECT value FROM json_each(:ids))"),
    postgresql=_EVENTS_BY_ID.replace("e.created_at,", f"{_POSTGRES_TIME_IN_RANGE},", 1).format(
        in_ids="= ANY(:ids::bigint[])"
    ),
)
INSERT_LEAF = Query(
    """INSERT INTO ledger_leaves (company_id, leaf_index, event_id, leaf_hash)
    VALUES (:company_id, :leaf_index, :event_id, :leaf_hash)"""
)
INSERT_REDACTION = Query(
    """INSERT INTO ledger_redactions (event_id, company_id, privacy_request_id, leaf_hash,
        redacted_hash)
    VALUES (:event_id, :company_id, :privacy_request_id, :leaf_hash, :redacted_hash)
    ON CONFLICT (event_id) DO UPDATE SET redacted_hash = excluded.redacted_hash"""
)
LEAVES_PAGE = Query(
    """SELECT leaf_index, event_id, leaf_hash FROM ledger_leaves
    WHERE company_id = :company_id AND leaf_index >= :start
    ORDER BY leaf_index LIMIT :limit"""
)
_SEAL_COLUMNS = """id, company_id, tree_size, root_hash, frontier, previous_head_hash,
    through_event_id, sealed_at, key_id, signature, head"""
LATEST_SEAL = Query(
    f"""SELECT {_SEAL_COLUMNS} FROM ledger_seals WHERE company_id = :company_id
    ORDER BY tree_size DESC LIMIT 1"""
)
SEALS_PAGE = Query(
    f"""SELECT {_SEAL_COLUMNS} FROM ledger_seals
    WHERE company_id = :company_id AND tree_size > :above AND tree_size <= :through
    ORDER BY tree_size LIMIT :limit"""
)
SEAL_SIZES = Query(
    """SELECT tree_size FROM ledger_seals
    WHERE company_id = :company_id AND tree_size > :above AND tree_size < :below
    ORDER BY tree_size"""
)
INSERT_SEAL = Query(
    f"""INSERT INTO ledger_seals ({_SEAL_COLUMNS.replace("id, ", "", 1)})
    VALUES (:company_id, :tree_size, :root_hash, :frontier, :previous_head_hash,
        :through_event_id, :sealed_at, :key_id, :signature, :head)"""
)


class WatermarkBusy(Exception):
    """Writers held `events` longer than the lock timeout: seal on the next round."""


@dataclass(frozen=True)
class LedgerEvent:
    """An event as its leaf seals it (its webhook topic is routing, not content)."""

    id: int
    company_id: int
    type: str
    person_id: int | None
    record_id: int | None
    channel: str | None
    contact_value: str | None
    data: dict[str, Any]
    credential_id: int | None
    client_ip: str | None
    user_agent: str | None
    created_at: datetime
    # Not content: the erasure that removed it, and the leaf hashes of what it was
    # and of what the erasure left.
    redacted_by: int | None = None
    original_leaf: bytes | None = None
    redacted_leaf: bytes | None = None


class StoredEvent(NamedTuple):
    """An event read with `LEDGER_EVENT_COLUMNS`, as the database hands it back: its
    data as the stored JSON text, its time a datetime (PostgreSQL) or text (SQLite),
    the redaction's hashes in hex."""

    id: int
    company_id: int
    type: str
    person_id: int | None
    record_id: int | None
    channel: str | None
    contact_value: str | None
    data: str | dict[str, Any] | None
    credential_id: int | None
    client_ip: str | None
    user_agent: str | None
    created_at: str | datetime
    redacted_by: int | None
    original_leaf: str | None
    redacted_leaf: str | None


class StoredLeaf(NamedTuple):
    """A leaf as stored: its place, its event and its hash."""

    leaf_index: int
    event_id: int
    leaf_hash: bytes


@dataclass(frozen=True)
class SealRow:
    """A seal as stored; `head` and `signature` are what counts, the rest serves lookups."""

    id: int
    company_id: int
    tree_size: int
    root_hash: str
    frontier: list[tuple[int, bytes]]
    previous_head_hash: str | None
    through_event_id: int
    sealed_at: datetime
    key_id: str
    signature: str
    head: str


def ledger_event(row: Row | StoredEvent) -> LedgerEvent:
    """An event read with `LEDGER_EVENT_COLUMNS`, decoded; ValueError when its data or
    time does not decode, or a column holds a value of another type than its own
    (SQLite keeps any)."""
    created_at = as_time(row[11])
    if created_at is None:
        raise ValueError(f"event {row[0]} has no time")
    texts = (row[2], row[5], row[6], row[9], row[10])
    ids = (row[3], row[4], row[8])
    if not all(value is None or isinstance(value, str) for value in texts) or not all(
        value is None or isinstance(value, int) for value in ids
    ):
        raise ValueError(f"event {row[0]} holds a value of another type than its column's")
    # By position: verification reads a million of these.
    return LedgerEvent(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], as_json(row[7]) or {},
        row[8], row[9], row[10], created_at,
        row[12], None if row[13] is None else bytes.fromhex(row[13]),
        None if row[14] is None else bytes.fromhex(row[14]),
    )  # fmt: skip


def _seal(row: Row) -> SealRow:
    values = {key: row[key] for key in row.keys()}  # noqa: SIM118 - `in` reads values
    values["frontier"] = [
        (int(size), bytes.fromhex(node)) for size, node in as_json(row["frontier"])
    ]
    values["sealed_at"] = as_time(values["sealed_at"])
    return SealRow(**values)


async def events_watermark(connection: Connection) -> int:
    """The highest events id below which no event will still appear (see docs/ledger.md).

    On SQLite one writer at a time commits, in id order: the last committed id is it.
    On PostgreSQL it is read holding SHARE on `events`, which waits for every writer
    that drew an id; the caller's transaction ends at once, releasing it."""
    if not connection.is_sqlite:
        await connection.execute(SET_LOCK_TIMEOUT)
        try:
            await connection.execute(LOCK_EVENTS)
        except asyncpg.LockNotAvailableError as exc:
            raise WatermarkBusy(str(exc)) from exc
    return await last_event_id(connection)


async def companies_to_seal(connection: Connection, watermark: int) -> list[tuple[int, str]]:
    """The (id, key) of each company with events past its last seal, up to `watermark`."""
    rows = await connection.fetch(COMPANIES_TO_SEAL, {"watermark": watermark})
    return [(int(row["id"]), str(row["key"])) for row in rows]


async def stored_events_page(
    connection: Connection, company_id: int, after: int, through: int, limit: int
) -> list[StoredEvent]:
    """Up to `limit` of the company's events with `after` < id <= `through`, by id, as
    stored."""
    rows = await connection.fetch(
        EVENTS_PAGE,
        {"company_id": company_id, "after": after, "through": through, "limit": limit},
    )
    return [StoredEvent(*row) for row in rows]


async def stored_events_by_id(
    connection: Connection, company_id: int, ids: list[int]
) -> list[StoredEvent]:
    """The company's events `ids` that exist, as `stored_events_page` reads them."""
    rows = await connection.fetch(EVENTS_BY_ID, {"company_id": company_id, "ids": ids})
    return [StoredEvent(*row) for row in rows]


async def events_page(
    connection: Connection, company_id: int, after: int, through: int, limit: int
) -> list[LedgerEvent]:
    """The same events as `stored_events_page`, decoded."""
    stored = await stored_events_page(connection, company_id, after, through, limit)
    return [ledger_event(event) for event in stored]


async def insert_leaves(
    connection: Connection, company_id: int, start: int, leaves: Sequence[tuple[int, bytes]]
) -> None:
    """Append (event id, leaf hash) pairs at indexes `start`, `start + 1`, ...; a leaf
    already there, or an event already a leaf, is a lost race (unique constraints)."""
    await connection.executemany(
        INSERT_LEAF,
        [
            {
                "company_id": company_id,
                "leaf_index": start + offset,
                "event_id": event_id,
                "leaf_hash": leaf.hex(),
            }
            for offset, (event_id, leaf) in enumerate(leaves)
        ],
    )


async def insert_redactions(
    connection: Connection,
    company_id: int,
    privacy_request_id: int,
    redacted: Sequence[tuple[int, bytes, bytes]],
) -> None:
    """Mark events (id, leaf hash of the content before the erasure, and after) as
    redacted by the request; one erased again keeps its first request and leaf."""
    await connection.executemany(
        INSERT_REDACTION,
        [
            {
                "event_id": event_id,
                "company_id": company_id,
                "privacy_request_id": privacy_request_id,
                "leaf_hash": original.hex(),
                "redacted_hash": after.hex(),
            }
            for event_id, original, after in redacted
        ],
    )


async def leaves_page(
    connection: Connection, company_id: int, start: int, limit: int
) -> list[StoredLeaf]:
    """Up to `limit` of the company's leaves from index `start`, in order."""
    rows = await connection.fetch(
        LEAVES_PAGE, {"company_id": company_id, "start": start, "limit": limit}
    )
    return [
        StoredLeaf(int(row["leaf_index"]), int(row["event_id"]), bytes.fromhex(row["leaf_hash"]))
        for row in rows
    ]


async def last_event_id(connection: Connection) -> int:
    """The highest event id there is (0 with none)."""
    return int(await connection.fetchval(LAST_EVENT_ID))


async def count_events(connection: Connection, company_id: int, through: int) -> int:
    """How many of the company's events have ids up to `through`."""
    params = {"company_id": company_id, "through": through}
    return int(await connection.fetchval(COUNT_EVENTS, params))


async def event_boundaries(
    connection: Connection, company_id: int, through: int, count: int, parts: int
) -> list[int]:
    """Event ids that cut the company's `count` events up to `through` into `parts`
    ranges of about as many events: `parts - 1` ids, each the last of its range."""
    params = {"company_id": company_id, "through": through}
    cuts = await cut_ids(connection, EVENT_AFTER, params, count, parts)
    return cuts + [through] * (parts - 1 - len(cuts))


async def latest_seal(connection: Connection, company_id: int) -> SealRow | None:
    """The company's last seal, if it has one."""
    row = await connection.fetchrow(LATEST_SEAL, {"company_id": company_id})
    return None if row is None else _seal(row)


async def seals_page(
    connection: Connection, company_id: int, above: int, through: int, limit: int
) -> list[SealRow]:
    """Up to `limit` of the company's seals of trees larger than `above` and at most
    `through` leaves, in order."""
    rows = await connection.fetch(
        SEALS_PAGE,
        {"company_id": company_id, "above": above, "through": through, "limit": limit},
    )
    return [_seal(row) for row in rows]


async def seal_sizes(connection: Connection, company_id: int, above: int, below: int) -> list[int]:
    """The sizes of the company's seals of trees larger than `above` and smaller than
    `below` leaves, in order."""
    rows = await connection.fetch(
        SEAL_SIZES, {"company_id": company_id, "above": above, "below": below}
    )
    return [row[0] for row in rows]


async def insert_seal(connection: Connection, seal: SealRow) -> None:
    """Append a seal (its `id` is the database's)."""
    await connection.execute(
        INSERT_SEAL,
        {
            "company_id": seal.company_id,
            "tree_size": seal.tree_size,
            "root_hash": seal.root_hash,
            "frontier": Json([[size, node.hex()] for size, node in seal.frontier]),
            "previous_head_hash": seal.previous_head_hash,
            "through_event_id": seal.through_event_id,
            "sealed_at": seal.sealed_at,
            "key_id": seal.key_id,
            "signature": seal.signature,
            "head": seal.head,
        },
    )
