"""What replaying a company's events against its subscription records reads: the
records' state a page at a time, and the transition events of a page's records,
grouped by record and in id order within it.

Records are paged by (person, id) along the `(company_id, person_id)` index, the
one whose order a page can continue from without sorting the company's records
again; each page's events come by the `(company_id, record_id)` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, cut_offsets

# The events that move a record; repeats, messages and the rest leave it as it is.
TRANSITION_TYPES = (
    "subscription_created",
    "subscription_confirmed",
    "subscription_declined",
    "subscription_expired",
    "subscription_ended",
)
_TYPES_SQL = ", ".join(f"'{name}'" for name in TRANSITION_TYPES)

NO_PERSON_BOUND = 2**63 - 1
RECORD_AFTER = Query(
    """SELECT person_id, id FROM subscription_records WHERE company_id = :company_id
        AND person_id >= :after_person AND (person_id, id) > (:after_person, :after_id)
    ORDER BY person_id, id LIMIT 1 OFFSET :offset"""
)
COUNT_RECORDS = Query("SELECT COUNT(*) FROM subscription_records WHERE company_id = :company_id")
RECORD_STATES_PAGE = Query(
    """SELECT id, person_id, status, opt_in_date, opt_out_date FROM subscription_records
    WHERE company_id = :company_id AND person_id >= :after_person
        AND (person_id, id) > (:after_person, :after_id) AND person_id < :before_person
    ORDER BY person_id, id LIMIT :limit"""
)
# The status a record was opened with, and an import's consent time, come from the
# event's data; reading them in SQL spares decoding the whole document per event.
_TRANSITIONS = """SELECT record_id, id, type, created_at, {status}, {opted_in_at}
    FROM events WHERE company_id = :company_id AND record_id {in_ids}
        AND type IN ({types})
    ORDER BY record_id, id"""
TRANSITIONS_OF_RECORDS = Query(
    _TRANSITIONS.format(
        status="json_extract(data, '$.status')",
        opted_in_at="json_extract(data, '$.opted_in_at')",
        in_ids="IN (SELECT value FROM json_each(:ids))",
        types=_TYPES_SQL,
    ),
    postgresql=_TRANSITIONS.format(
        status="data->>'status'",
        opted_in_at="data->>'opted_in_at'",
        in_ids="= ANY(:ids::bigint[])",
        types=_TYPES_SQL,
    ),
)


# A time as the database hands it back: a datetime from PostgreSQL, text from SQLite.
# Replay compares two as they come and reads them as times only when they differ:
# parsing every one would cost more than the rest of the replay.
StoredTime = datetime | str


@dataclass(frozen=True, slots=True)
class RecordState:
    """A subscription record's state as stored."""

    id: int
    person_id: int
    status: str
    opt_in_date: StoredTime | None
    opt_out_date: StoredTime | None


@dataclass(frozen=True, slots=True)
class Transition:
    """An event that moves a record, with what replaying it needs from its data."""

    record_id: int
    event_id: int
    type: str
    created_at: StoredTime
    opened_as: str | None
    # An import's consent time, as its event's data holds it (ISO 8601).
    opted_in_at: str | None


async def record_states_page(
    connection: Connection,
    company_id: int,
    after: tuple[int, int],
    limit: int,
    before_person: int = NO_PERSON_BOUND,
) -> list[RecordState]:
    """Up to `limit` of the company's records past `after` (a person id and a record
    id) and of people below `before_person`, by person and then by id."""
    rows = await connection.fetch(
        RECORD_STATES_PAGE,
        {
            "company_id": company_id,
            "after_person": after[0],
            "after_id": after[1],
            "before_person": before_person,
            "limit": limit,
        },
    )
    return [RecordState(row[0], row[1], row[2], row[3], row[4]) for row in rows]


async def transitions_of_records(
    connection: Connection, company_id: int, record_ids: list[int]
) -> list[Transition]:
    """The transition events of the company's records `record_ids`, by record and
    then by event id."""
    rows = await connection.fetch(
        TRANSITIONS_OF_RECORDS, {"company_id": company_id, "ids": record_ids}
    )
    return [Transition(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]


async def person_boundaries(connection: Connection, company_id: int, parts: int) -> list[int]:
    """Person ids that cut the company's records into `parts` ranges of about as many
    records: up to `parts - 1` ids, each the first of its range (a person's records
    stay in one range)."""
    count = int(await connection.fetchval(COUNT_RECORDS, {"company_id": company_id}))
    cuts: list[int] = []
    after = (0, 0)
    for offset in cut_offsets(count, parts):
        params = {"company_id": company_id, "after_person": after[0], "after_id": after[1]}
        row = await connection.fetchrow(RECORD_AFTER, {**params, "offset": offset})
        if row is None:
            break
        after = (int(row[0]), int(row[1]))
        cuts.append(after[0] + 1)
    return cuts
