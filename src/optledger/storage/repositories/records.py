"""Subscription records: the append-only ledger of consent, and eligibility."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, Row, as_time

OPEN_SQL = "status IN ('PENDING', 'ACTIVE')"
_COLUMNS = """
    id, company_id, person_id, list_id, unit_id, type, channel, contact_value, status,
    single_opt_in, opt_in_date, opt_out_date, opt_out_reason, language, country, created_at
"""
_R_COLUMNS = ", ".join(f"r.{column.strip()}" for column in _COLUMNS.split(","))
_IN_VALUES_SQLITE = "IN (SELECT value FROM json_each(:values))"
_IN_VALUES_PG = "= ANY(:values::text[])"
_IN_IDS_SQLITE = "IN (SELECT value FROM json_each(:ids))"
_IN_IDS_PG = "= ANY(:ids::bigint[])"

# One statement: per (type, channel), whether an ACTIVE record exists; and one row of
# NULLs when a person holds the phone or email, so "unknown" needs no second query.
# The IN leads both planners to the (company_id, contact_value) index.
ELIGIBILITY = Query(
    """
    SELECT type, channel, active FROM (
        SELECT type, channel, MAX(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END) AS active
        FROM subscription_records
        WHERE company_id = :company_id AND contact_value IN (:phone, :email)
          AND ((channel = 'TEXT' AND contact_value = :phone)
               OR (channel = 'EMAIL' AND contact_value = :email))
        GROUP BY type, channel
        UNION ALL
        SELECT NULL, NULL, NULL WHERE EXISTS (
            SELECT 1 FROM person_identifiers
            WHERE company_id = :company_id AND name = ''
              AND ((kind = 'phone' AND value = :phone) OR (kind = 'email' AND value = :email)))
    ) found
    ORDER BY channel, type
    """
)
ELIGIBILITY_OF_MANY = Query(
    f"""
    SELECT contact_value, type, channel,
           MAX(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END) AS active
    FROM subscription_records
    WHERE company_id = :company_id AND contact_value {_IN_VALUES_SQLITE}
    GROUP BY contact_value, type, channel
    ORDER BY contact_value, channel, type
    """,
    postgresql=f"""
    SELECT contact_value, type, channel,
           MAX(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END) AS active
    FROM subscription_records
    WHERE company_id = :company_id AND contact_value {_IN_VALUES_PG}
    GROUP BY contact_value, type, channel
    ORDER BY contact_value, channel, type
    """,
)
RECORDS_OF_CONTACTS = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE company_id = :company_id AND contact_value {_IN_VALUES_SQLITE} ORDER BY id""",
    postgresql=f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE company_id = :company_id AND contact_value {_IN_VALUES_PG} ORDER BY id""",
)
RECORDS_BY_IDS = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE id {_IN_IDS_SQLITE} ORDER BY id""",
    postgresql=f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE id {_IN_IDS_PG} ORDER BY id""",
)
RECORDS_OF_PERSON = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE company_id = :company_id AND person_id = :person_id ORDER BY id"""
)
RECORDS_OF_UNIT = Query(
    f"""SELECT {_R_COLUMNS}, p.person_key
    FROM subscription_records r JOIN persons p ON p.id = r.person_id
    WHERE r.company_id = :company_id AND r.unit_id = :unit_id
      AND (:status IS NULL OR r.status = :status)
    ORDER BY r.id""",
    postgresql=f"""SELECT {_R_COLUMNS}, p.person_key
    FROM subscription_records r JOIN persons p ON p.id = r.person_id
    WHERE r.company_id = :company_id AND r.unit_id = :unit_id
      AND (:status::text IS NULL OR r.status = :status)
    ORDER BY r.id""",
)
# The person a key names (unless erased: no identifiers left) and all their records,
# in one statement: the hot read of the Vibes dialect.
PERSON_AND_RECORDS_BY_KEY = Query(
    f"""SELECT p.id AS the_person_id, {_R_COLUMNS}
    FROM persons p
    LEFT JOIN subscription_records r ON r.person_id = p.id AND r.company_id = p.company_id
    WHERE p.company_id = :company_id AND p.person_key = :person_key
      AND EXISTS (
        SELECT 1 FROM person_identifiers i
        WHERE i.company_id = p.company_id AND i.person_id = p.id
      )
    ORDER BY r.id"""
)
PENDING_TEXT_RECORDS = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE company_id = :company_id AND contact_value = :phone AND channel = 'TEXT'
      AND status = 'PENDING'
    ORDER BY id"""
)
OPEN_RECORD_ON_LIST = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE company_id = :company_id AND list_id = :list_id AND contact_value = :contact_value
      AND {OPEN_SQL}"""
)
END_RECORDS = Query(
    f"""UPDATE subscription_records
    SET status = 'ENDED', opt_out_date = :at, opt_out_reason = :reason, updated_at = :at
    WHERE id {_IN_IDS_SQLITE} AND {OPEN_SQL} RETURNING id""",
    postgresql=f"""UPDATE subscription_records
    SET status = 'ENDED', opt_out_date = :at, opt_out_reason = :reason, updated_at = :at
    WHERE id {_IN_IDS_PG} AND {OPEN_SQL} RETURNING id""",
)
ANSWER_PENDING = Query(
    f"""UPDATE subscription_records
    SET status = :status, updated_at = :at,
        opt_in_date = CASE WHEN :status = 'ACTIVE' THEN :at ELSE opt_in_date END
    WHERE id {_IN_IDS_SQLITE} AND status = 'PENDING' RETURNING id""",
    postgresql=f"""UPDATE subscription_records
    SET status = :status::text, updated_at = :at,
        opt_in_date = CASE WHEN :status::text = 'ACTIVE' THEN :at ELSE opt_in_date END
    WHERE id {_IN_IDS_PG} AND status = 'PENDING' RETURNING id""",
)
PENDING_OLDER_THAN = Query(
    f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE status = 'PENDING' AND created_at < :older_than ORDER BY created_at LIMIT :limit""",
    # Several workers sweep at once; each takes rows no other sweep holds.
    postgresql=f"""SELECT {_COLUMNS} FROM subscription_records
    WHERE status = 'PENDING' AND created_at < :older_than ORDER BY created_at LIMIT :limit
    FOR UPDATE SKIP LOCKED""",
)
BLOCK_EXISTS = Query(
    """SELECT 1 FROM confirmation_blocks
    WHERE company_id = :company_id AND unit_id = :unit_id AND contact_value = :contact_value"""
)
INSERT_BLOCK = Query(
    """INSERT INTO confirmation_blocks (company_id, unit_id, contact_value, created_at)
    VALUES (:company_id, :unit_id, :contact_value, :now)
    ON CONFLICT (company_id, unit_id, contact_value) DO NOTHING"""
)
DELETE_BLOCK = Query(
    """DELETE FROM confirmation_blocks
    WHERE company_id = :company_id AND unit_id = :unit_id AND contact_value = :contact_value"""
)


@dataclass(frozen=True)
class RecordRow:
    """One consent of one contact point to one list."""

    id: int
    company_id: int
    person_id: int
    list_id: int
    unit_id: int | None
    type: str
    channel: str
    contact_value: str
    status: str
    single_opt_in: bool
    opt_in_date: datetime | None
    opt_out_date: datetime | None
    opt_out_reason: str | None
    language: str
    country: str
    created_at: datetime

    @property
    def locale(self) -> str:
        """The locale the consent was given in, e.g. en-US."""
        return f"{self.language}-{self.country}"


def _record(row: Row) -> RecordRow:
    created = as_time(row["created_at"])
    assert created is not None
    return RecordRow(
        id=row["id"],
        company_id=row["company_id"],
        person_id=row["person_id"],
        list_id=row["list_id"],
        unit_id=row["unit_id"],
        type=row["type"],
        channel=row["channel"],
        contact_value=row["contact_value"],
        status=row["status"],
        single_opt_in=bool(row["single_opt_in"]),
        opt_in_date=as_time(row["opt_in_date"]),
        opt_out_date=as_time(row["opt_out_date"]),
        opt_out_reason=row["opt_out_reason"],
        language=row["language"],
        country=row["country"],
        created_at=created,
    )


@dataclass(frozen=True)
class Eligible:
    """Whether one (type, channel) of a contact point has an ACTIVE record."""

    type: str
    channel: str
    active: bool


async def eligibility(
    connection: Connection, company_id: int, phone: str | None, email: str | None
) -> list[Eligible] | None:
    """Per (type, channel) of the contact points, whether one is ACTIVE; None if unknown."""
    rows = await connection.fetch(
        ELIGIBILITY, {"company_id": company_id, "phone": phone, "email": email}
    )
    found = [Eligible(r["type"], r["channel"], bool(r["active"])) for r in rows if r["type"]]
    return found if rows else None


async def eligibility_of_many(
    connection: Connection, company_id: int, values: Sequence[str]
) -> dict[str, list[Eligible]]:
    """For each contact value that has records, per (type, channel) whether one is ACTIVE."""
    found: dict[str, list[Eligible]] = {}
    if not values:
        return found
    rows = await connection.fetch(
        ELIGIBILITY_OF_MANY, {"company_id": company_id, "values": list(values)}
    )
    for row in rows:
        found.setdefault(row["contact_value"], []).append(
            Eligible(row["type"], row["channel"], bool(row["active"]))
        )
    return found


async def records_of_contacts(
    connection: Connection, company_id: int, values: Collection[str]
) -> list[RecordRow]:
    """Every record, open or closed, of these contact values, oldest first."""
    if not values:
        return []
    rows = await connection.fetch(
        RECORDS_OF_CONTACTS, {"company_id": company_id, "values": sorted(values)}
    )
    return [_record(row) for row in rows]


async def records_by_ids(connection: Connection, ids: Collection[int]) -> list[RecordRow]:
    """These records, oldest first."""
    if not ids:
        return []
    rows = await connection.fetch(RECORDS_BY_IDS, {"ids": sorted(ids)})
    return [_record(row) for row in rows]


async def records_of_person(
    connection: Connection, company_id: int, person_id: int
) -> list[RecordRow]:
    """Every record of a person, open or closed, oldest first."""
    rows = await connection.fetch(
        RECORDS_OF_PERSON, {"company_id": company_id, "person_id": person_id}
    )
    return [_record(row) for row in rows]


async def records_of_unit(
    connection: Connection, company_id: int, unit_id: int, status: str | None
) -> list[tuple[RecordRow, str]]:
    """The records a unit opened (of one status, if given), with their person's key."""
    rows = await connection.fetch(
        RECORDS_OF_UNIT, {"company_id": company_id, "unit_id": unit_id, "status": status}
    )
    return [(_record(row), row["person_key"]) for row in rows]


async def person_and_records_by_key(
    connection: Connection, company_id: int, person_key: str
) -> tuple[int | None, list[RecordRow]]:
    """The id of the person `person_key` names (None: no such person) and their records."""
    rows = await connection.fetch(
        PERSON_AND_RECORDS_BY_KEY, {"company_id": company_id, "person_key": person_key}
    )
    if not rows:
        return None, []
    return rows[0]["the_person_id"], [_record(row) for row in rows if row["id"] is not None]


async def pending_text_records(
    connection: Connection, company_id: int, phone: str
) -> list[RecordRow]:
    """The TEXT records of a number still waiting for Y or N, oldest first."""
    rows = await connection.fetch(PENDING_TEXT_RECORDS, {"company_id": company_id, "phone": phone})
    return [_record(row) for row in rows]


async def open_record_on_list(
    connection: Connection, company_id: int, list_id: int, contact_value: str
) -> RecordRow | None:
    """The PENDING or ACTIVE record of a contact point on a list, if any."""
    row = await connection.fetchrow(
        OPEN_RECORD_ON_LIST,
        {"company_id": company_id, "list_id": list_id, "contact_value": contact_value},
    )
    return None if row is None else _record(row)


@dataclass(frozen=True)
class NewRecord:
    """A record to open, with its consent evidence."""

    company_id: int
    person_id: int
    list_id: int
    unit_id: int
    type: str
    channel: str
    contact_value: str
    status: str
    single_opt_in: bool
    opt_in_date: datetime | None
    disclosure_text: str | None
    language: str
    country: str
    source: str
    credential_id: int | None
    client_ip: str | None
    user_agent: str | None
    now: datetime


async def _update_ids(
    connection: Connection, query: Query, ids: Collection[int], **params: object
) -> list[int]:
    if not ids:
        return []
    rows = await connection.fetch(query, {"ids": sorted(ids), **params})
    return [row["id"] for row in rows]


async def end_records(
    connection: Connection, ids: Collection[int], reason: str, at: datetime
) -> list[int]:
    """End the records among `ids` that are still open; returns those it ended."""
    connection.lessen_eligibility()
    return await _update_ids(connection, END_RECORDS, ids, reason=reason, at=at)


async def answer_pending(
    connection: Connection, ids: Collection[int], status: str, at: datetime
) -> list[int]:
    """Move PENDING records among `ids` to `status`; returns those it moved."""
    if status != "ACTIVE":
        # A declined or expired prompt ends the subscription it asked for.
        connection.lessen_eligibility()
    return await _update_ids(connection, ANSWER_PENDING, ids, status=status, at=at)


async def pending_older_than(
    connection: Connection, older_than: datetime, limit: int
) -> list[RecordRow]:
    """Prompts left unanswered since before `older_than`, in every company."""
    rows = await connection.fetch(PENDING_OLDER_THAN, {"older_than": older_than, "limit": limit})
    return [_record(row) for row in rows]


async def block_exists(
    connection: Connection, company_id: int, unit_id: int, contact_value: str
) -> bool:
    """Whether the contact point answered NO to this unit's prompt."""
    params = {"company_id": company_id, "unit_id": unit_id, "contact_value": contact_value}
    return await connection.fetchval(BLOCK_EXISTS, params) is not None


async def insert_block(
    connection: Connection, company_id: int, unit_id: int, contact_value: str, now: datetime
) -> None:
    """Block a unit from prompting a contact point again."""
    connection.lessen_eligibility()
    params = {"company_id": company_id, "unit_id": unit_id, "contact_value": contact_value}
    await connection.execute(INSERT_BLOCK, {**params, "now": now})


async def delete_block(
    connection: Connection, company_id: int, unit_id: int, contact_value: str
) -> None:
    """Lift a block: the contact point asked again itself."""
    params = {"company_id": company_id, "unit_id": unit_id, "contact_value": contact_value}
    await connection.execute(DELETE_BLOCK, params)
