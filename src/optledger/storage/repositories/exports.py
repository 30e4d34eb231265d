"""The consent ledger read for export: records with their evidence, and events.

Pages are read by id (keyset, never OFFSET), so each costs the same however far
the export has come; all of them inside one read-only snapshot, so the export is
the ledger as it stood at one moment however long it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Query, Row, as_json, as_time

_FILTERS = """(:company_id IS NULL OR {table}.company_id = :company_id)
      AND (:since IS NULL OR {column} >= :since)"""
_FILTERS_PG = """(:company_id::bigint IS NULL OR {table}.company_id = :company_id)
      AND (:since::timestamptz IS NULL OR {column} >= :since)"""
_RECORDS = """SELECT r.id, c.key AS company, p.person_key, r.channel, r.contact_value,
        r.type, r.list_id, r.unit_id, r.status, r.single_opt_in, r.opt_in_date,
        r.opt_out_date, r.opt_out_reason, r.consented_at, r.source, r.disclosure_text,
        r.language, r.country, r.credential_id, r.client_ip, r.user_agent, r.created_at,
        r.updated_at
    FROM subscription_records r
    JOIN companies c ON c.id = r.company_id
    JOIN persons p ON p.id = r.person_id
    WHERE r.id > :after AND {filters}
    ORDER BY r.id LIMIT :limit"""
_EVENTS = """SELECT e.id, c.key AS company, e.type, p.person_key, e.record_id, e.channel,
        e.contact_value, e.data, e.credential_id, e.client_ip, e.user_agent, e.created_at,
        e.topic, COALESCE(l.leaf_hash, '') AS leaf_hash
    FROM events e
    JOIN companies c ON c.id = e.company_id
    LEFT JOIN persons p ON p.id = e.person_id
    LEFT JOIN ledger_leaves l ON l.event_id = e.id
    WHERE e.id > :after AND {filters}
    ORDER BY e.id LIMIT :limit"""
# A record belongs to the export when it changed since the date (an opt-out of an
# older consent is news); an event when it happened since.
RECORDS_PAGE = Query(
    _RECORDS.format(filters=_FILTERS.format(table="r", column="r.updated_at")),
    postgresql=_RECORDS.format(filters=_FILTERS_PG.format(table="r", column="r.updated_at")),
)
EVENTS_PAGE = Query(
    _EVENTS.format(filters=_FILTERS.format(table="e", column="e.created_at")),
    postgresql=_EVENTS.format(filters=_FILTERS_PG.format(table="e", column="e.created_at")),
)


@dataclass(frozen=True)
class ExportedRecord:
    """A subscription record with its consent evidence, its company and person named."""

    id: int
    company: str
    person_key: str
    channel: str
    contact_value: str
    type: str
    list_id: int
    unit_id: int | None
    status: str
    single_opt_in: bool
    opt_in_date: datetime | None
    opt_out_date: datetime | None
    opt_out_reason: str | None
    consented_at: datetime | None
    source: str
    disclosure_text: str | None
    language: str
    country: str
    credential_id: int | None
    client_ip: str | None
    user_agent: str | None
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ExportedEvent:
    """An event, its company and person named."""

    id: int
    company: str
    type: str
    person_key: str | None
    record_id: int | None
    channel: str | None
    contact_value: str | None
    data: dict[str, Any]
    credential_id: int | None
    client_ip: str | None
    user_agent: str | None
    created_at: datetime | None
    topic: str | None
    # Its ledger leaf hash (hex), empty while it is not sealed.
    leaf_hash: str


_TIMES = frozenset({"opt_in_date", "opt_out_date", "consented_at", "created_at", "updated_at"})


def _record(row: Row) -> ExportedRecord:
    values = {key: row[key] for key in row.keys()}  # noqa: SIM118 - `in` reads values
    for key in _TIMES & values.keys():
        values[key] = as_time(values[key])
    values["single_opt_in"] = bool(values["single_opt_in"])
    return ExportedRecord(**values)


def _event(row: Row) -> ExportedEvent:
    values = {key: row[key] for key in row.keys()}  # noqa: SIM118 - `in` reads values
    values["created_at"] = as_time(values["created_at"])
    values["data"] = as_json(values["data"]) or {}
    return ExportedEvent(**values)


def _params(after: int, company_id: int | None, since: datetime | None, limit: int) -> Any:
    return {"after": after, "company_id": company_id, "since": since, "limit": limit}


async def records_page(
    connection: Connection, after: int, company_id: int | None, since: datetime | None, limit: int
) -> list[ExportedRecord]:
    """Up to `limit` records after id `after`, oldest first (one company's, if given;
    changed at or after `since`, if given)."""
    rows = await connection.fetch(RECORDS_PAGE, _params(after, company_id, since, limit))
    return [_record(row) for row in rows]


async def events_page(
    connection: Connection, after: int, company_id: int | None, since: datetime | None, limit: int
) -> list[ExportedEvent]:
    """Up to `limit` events after id `after`, oldest first (filtered as `records_page`)."""
    rows = await connection.fetch(EVENTS_PAGE, _params(after, company_id, since, limit))
    return [_event(row) for row in rows]
