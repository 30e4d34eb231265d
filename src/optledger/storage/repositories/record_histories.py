"""What replaying a company's events against its subscription records reads: the
records' state a page at a time by id, and the transition events of a range of
record ids, grouped by record and in id order within it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, as_time

# The events that move a record; repeats, messages and the rest leave it as it is.
TRANSITION_TYPES = (
    "subscription_created",
    "subscription_confirmed",
    "subscription_declined",
    "subscription_expired",
    "subscription_ended",
)
_TYPES_SQL = ", ".join(f"'{name}'" for name in TRANSITION_TYPES)

RECORD_STATES_PAGE = Query(
    """SELECT id, status, opt_in_date, opt_out_date FROM subscription_records
    WHERE company_id = :company_id AND id > :after ORDER BY id LIMIT :limit"""
)
# The status a record was opened with, and an import's consent time, come from the
# event's data; reading them in SQL spares decoding the whole document per event.
TRANSITIONS_OF_RECORDS = Query(
    f"""SELECT record_id, id, type, created_at, json_extract(data, '$.status'),
        json_extract(data, '$.opted_in_at')
    FROM events WHERE company_id = :company_id AND record_id > :after
        AND record_id <= :through AND type IN ({_TYPES_SQL})
    ORDER BY record_id, id""",
    postgresql=f"""SELECT record_id, id, type, created_at, data->>'status',
        data->>'opted_in_at'
    FROM events WHERE company_id = :company_id AND record_id > :after
        AND record_id <= :through AND type IN ({_TYPES_SQL})
    ORDER BY record_id, id""",
)


@dataclass(frozen=True, slots=True)
class RecordState:
    """A subscription record's state as stored."""

    id: int
    status: str
    opt_in_date: datetime | None
    opt_out_date: datetime | None


@dataclass(frozen=True, slots=True)
class Transition:
    """An event that moves a record, with what replaying it needs from its data."""

    record_id: int
    event_id: int
    type: str
    created_at: datetime
    opened_as: str | None
    opted_in_at: datetime | None


async def record_states_page(
    connection: Connection, company_id: int, after: int, limit: int
) -> list[RecordState]:
    """Up to `limit` of the company's records with id above `after`, by id."""
    rows = await connection.fetch(
        RECORD_STATES_PAGE, {"company_id": company_id, "after": after, "limit": limit}
    )
    return [RecordState(row[0], row[1], as_time(row[2]), as_time(row[3])) for row in rows]


async def transitions_of_records(
    connection: Connection, company_id: int, after: int, through: int
) -> list[Transition]:
    """The transition events of the company's records with `after` < id <= `through`,
    by record and then by event id."""
    rows = await connection.fetch(
        TRANSITIONS_OF_RECORDS, {"company_id": company_id, "after": after, "through": through}
    )
    return [
        Transition(row[0], row[1], row[2], as_time(row[3]), row[4], as_time(row[5]))  # type: ignore[arg-type]
        for row in rows
    ]
