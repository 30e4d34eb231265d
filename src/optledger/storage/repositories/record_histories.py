"""What replaying a company's events against its subscription records reads: the
records' state a page at a time, and the transition events of a page's records,
grouped by record and in id order within it.

Records are paged by id along the `(company_id, id)` index, and a page's events come
by their range of record ids along the `(company_id, record_id)` index: one range
scan each, where the events of a list of records took a probe per record. A
record's id never changes, so a range of ids holds the same records whoever they
belong to.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from optledger.storage.columns import fetch_packed, in_order_of, packed
from optledger.storage.repositories.ledger import NO_BOUND
from optledger.storage.sql import Connection, Query, cut_ids

# The events that move a record; repeats, messages and the rest leave it as it is.
TRANSITION_TYPES = (
    "subscription_created",
    "subscription_confirmed",
    "subscription_declined",
    "subscription_expired",
    "subscription_ended",
)
_TYPES_SQL = ", ".join(f"'{name}'" for name in TRANSITION_TYPES)

RECORD_AFTER = Query(
    """SELECT id FROM subscription_records WHERE company_id = :company_id AND id > :after
    ORDER BY id LIMIT 1 OFFSET :offset"""
)
COUNT_RECORDS = Query("SELECT COUNT(*) FROM subscription_records WHERE company_id = :company_id")
_RECORD_STATES = """SELECT id, status, opt_in_date, opt_out_date FROM subscription_records
    WHERE company_id = :company_id AND id > :after AND id <= :through
    ORDER BY id LIMIT :limit"""
RECORD_STATES_PAGE = Query(
    _RECORD_STATES,
    postgresql=packed(_RECORD_STATES, ["id", "status", "opt_in_date", "opt_out_date"]),
)
# The status a record was opened with, and an import's consent time, come from the
# data of the event that opens it; reading them in SQL spares decoding the whole
# document per event, and reading them only there spares parsing the others' data.
# Only an import's data has a consent time, so it is parsed for it only where the
# key is in the text. A key can be spelt otherwise only with an escape, which the
# databases' JSON functions read differently (SQLite's `json_extract` misses a key
# spelt with one, PostgreSQL's `->>` finds it): data with a backslash comes back
# whole instead, and is read by Python's JSON decoder (`escaped_data`).
_OPENING = "CASE WHEN type = 'subscription_created' THEN {} END"
_OPTED_IN_AT = """CASE WHEN type = 'subscription_created' AND {has_key} > 0
    THEN {value} END"""
_ESCAPED = """CASE WHEN type = 'subscription_created' AND {has_backslash} > 0
    THEN data END"""
_TRANSITIONS = """SELECT record_id, id, type, created_at, {status} AS opened_as,
        {opted_in_at} AS opted_in_at, {escaped} AS escaped_data
    FROM events WHERE company_id = :company_id AND record_id > :after AND record_id <= :through
        AND type IN ({types})
    ORDER BY record_id, id"""


def _transitions(value_of: str, position_in_data: str) -> str:
    """The transitions query in one dialect, given how it reads a key of the data
    (`value_of`, formatted with the key) and finds a text in the data's text."""
    return _TRANSITIONS.format(
        status=_OPENING.format(value_of.format("status")),
        opted_in_at=_OPTED_IN_AT.format(
            has_key=position_in_data.format('"opted_in_at"'), value=value_of.format("opted_in_at")
        ),
        escaped=_ESCAPED.format(has_backslash=position_in_data.format("\\")),
        types=_TYPES_SQL,
    )


TRANSITIONS_OF_RECORDS = Query(
    _transitions("json_extract(data, '$.{}')", "instr(data, '{}')"),
    postgresql=packed(
        _transitions("data->>'{}'", "strpos(data::text, '{}')"),
        ["record_id", "id", "type", "created_at", "opened_as", "opted_in_at", "escaped_data"],
    ),
)


# A time as the database hands it back: a datetime from PostgreSQL, text from SQLite.
# Replay compares two as they come and reads them as times only when they differ:
# parsing every one would cost more than the rest of the replay.
StoredTime = datetime | str


class RecordState(NamedTuple):
    """A subscription record's state as stored. (Tuples: verification reads a row per
    record and one per transition, and builds them at a third of a dataclass's cost.)"""

    id: int
    status: str
    opt_in_date: StoredTime | None
    opt_out_date: StoredTime | None


class Transition(NamedTuple):
    """An event that moves a record, with what replaying it needs from its data."""

    record_id: int
    event_id: int
    type: str
    created_at: StoredTime
    opened_as: str | None
    # An import's consent time, as its event's data holds it (ISO 8601).
    opted_in_at: str | None
    # The opening event's data when it holds an escape, for Python to read the two
    # above from (the database's reading of such data is not relied on).
    escaped_data: str | bytes | None


async def record_states_page(
    connection: Connection, company_id: int, after: int, through: int, limit: int
) -> list[RecordState]:
    """Up to `limit` of the company's records with `after` < id <= `through`, by id."""
    params = {"company_id": company_id, "after": after, "through": through, "limit": limit}
    if connection.is_sqlite:
        return list(map(RecordState._make, await connection.fetch(RECORD_STATES_PAGE, params)))
    columns = in_order_of(*await fetch_packed(connection, RECORD_STATES_PAGE, params, 4))
    return list(map(RecordState._make, zip(*columns, strict=True)))


async def transitions_of_records(
    connection: Connection, company_id: int, after: int, through: int
) -> list[Transition]:
    """The transition events of the company's records with `after` < id <= `through`,
    by record and then by event id."""
    params = {"company_id": company_id, "after": after, "through": through}
    if connection.is_sqlite:
        return list(map(Transition._make, await connection.fetch(TRANSITIONS_OF_RECORDS, params)))
    columns = await fetch_packed(connection, TRANSITIONS_OF_RECORDS, params, 7)
    # In the order of record and event: the order a record's events are replayed in.
    columns = in_order_of(list(zip(columns[0], columns[1], strict=True)), *columns)[1:]
    return list(map(Transition._make, zip(*columns, strict=True)))


async def record_boundaries(connection: Connection, company_id: int, parts: int) -> list[int]:
    """Record ids that cut the company's records into `parts` ranges of about as many:
    `parts - 1` ids, each the last of its range (`NO_BOUND` for ranges left empty by
    a company with fewer records than parts)."""
    params = {"company_id": company_id}
    count = int(await connection.fetchval(COUNT_RECORDS, params))
    cuts = await cut_ids(connection, RECORD_AFTER, params, count, parts)
    return cuts + [NO_BOUND] * (parts - 1 - len(cuts))
