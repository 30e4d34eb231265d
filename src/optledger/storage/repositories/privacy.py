"""Privacy: deletion requests, the suppression list, and erasure's scrub of contact values."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.repositories.ledger import LEDGER_EVENT_COLUMNS, LedgerEvent, ledger_event
from optledger.storage.sql import Connection, Json, Query, Row, as_time

_REQUEST_COLUMNS = """id, company_id, type, subject_email, subject_phone, request_msg, processed,
    credential_id, requested_at, processing_started_at, processing_ended_at"""
INSERT_PRIVACY_REQUEST = Query(
    """
    INSERT INTO privacy_requests (company_id, type, subject_email, subject_phone, request_msg,
        processed, credential_id, requested_at, processing_started_at)
    VALUES (:company_id, :type, :subject_email, :subject_phone, :request_msg, FALSE,
        :credential_id, :now, :now)
    RETURNING id
    """
)
FINISH_PRIVACY_REQUEST = Query(
    f"""UPDATE privacy_requests SET processed = TRUE, processing_ended_at = :now
    WHERE id = :id RETURNING {_REQUEST_COLUMNS}"""
)
PRIVACY_REQUEST = Query(
    f"SELECT {_REQUEST_COLUMNS} FROM privacy_requests WHERE company_id = :company_id AND id = :id"
)
SUPPRESSED_AMONG = Query(
    """SELECT channel, contact_hash FROM suppressions
    WHERE company_id = :company_id AND contact_hash IN (SELECT value FROM json_each(:hashes))""",
    postgresql="""SELECT channel, contact_hash FROM suppressions
    WHERE company_id = :company_id AND contact_hash = ANY(:hashes::text[])""",
)
SUPPRESS = Query(
    """INSERT INTO suppressions (company_id, channel, contact_hash, reason, privacy_request_id,
        created_at)
    VALUES (:company_id, :channel, :contact_hash, :reason, :privacy_request_id, :now)
    ON CONFLICT (company_id, channel, contact_hash) DO NOTHING"""
)
RECORDS_OF_SUBJECT = Query(
    """SELECT id, channel, contact_value, status FROM subscription_records
    WHERE company_id = :company_id AND (contact_value IN (SELECT value FROM json_each(:values))
        OR person_id IN (SELECT value FROM json_each(:person_ids)))
    ORDER BY id""",
    postgresql="""SELECT id, channel, contact_value, status FROM subscription_records
    WHERE company_id = :company_id
      AND (contact_value = ANY(:values::text[]) OR person_id = ANY(:person_ids::bigint[]))
    ORDER BY id""",
)
_SUBJECT_EVENTS = f"""SELECT {LEDGER_EVENT_COLUMNS}
    FROM events e LEFT JOIN ledger_redactions r ON r.event_id = e.id
    WHERE e.company_id = :company_id AND e.id > :after AND ({{subject}})
    ORDER BY e.id LIMIT :limit"""
SUBJECT_EVENTS_PAGE = Query(
    _SUBJECT_EVENTS.format(
        subject="""e.contact_value IN (SELECT value FROM json_each(:values))
        OR e.person_id IN (SELECT value FROM json_each(:person_ids))"""
    ),
    postgresql=_SUBJECT_EVENTS.format(
        subject="e.contact_value = ANY(:values::text[]) OR e.person_id = ANY(:person_ids::bigint[])"
    ),
)
REDACT_EVENT = Query(
    """UPDATE events SET contact_value = :contact_value, data = :data, client_ip = NULL,
        user_agent = NULL
    WHERE id = :id"""
)
DELETE_ATTRIBUTE_VALUES = Query(
    """DELETE FROM person_attributes
    WHERE company_id = :company_id AND person_id IN (SELECT value FROM json_each(:person_ids))""",
    postgresql="""DELETE FROM person_attributes
    WHERE company_id = :company_id AND person_id = ANY(:person_ids::bigint[])""",
)


def _redaction(table: str, column: str, also: str = "") -> Query:
    """Rewrite every value of `column` that erasure maps, in one statement for any count.

    SQLite reads the map as a JSON object (value -> redacted); PostgreSQL as two
    parallel arrays. `also` sets more columns of the matched rows.
    """
    return Query(
        f"""UPDATE {table} SET {also}
            {column} = (SELECT value FROM json_each(:redactions) WHERE key = {table}.{column})
        WHERE company_id = :company_id
          AND {column} IN (SELECT key FROM json_each(:redactions))""",
        postgresql=f"""UPDATE {table} SET {also} {column} = r.redacted
        FROM unnest(:values::text[], :redacted::text[]) AS r(value, redacted)
        WHERE {table}.company_id = :company_id AND {table}.{column} = r.value""",
    )


# Every (table, column) that keeps a raw contact value, but events (see
# `redact_events`). Message bodies go too, and nothing more may be sent to an erased
# contact point: queued messages are cancelled.
REDACTIONS = (
    _redaction(
        "messages",
        "to_address",
        also="""body = :body,
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,""",
    ),
    _redaction("inbound_messages", "from_address", also="body = :body,"),
    _redaction("subscription_records", "contact_value"),
    _redaction("confirmation_blocks", "contact_value"),
)


@dataclass(frozen=True)
class PrivacyRequestRow:
    """A privacy request, with its subject masked."""

    id: int
    company_id: int
    type: str
    subject_email: str | None
    subject_phone: str | None
    request_msg: str | None
    processed: bool
    credential_id: int | None
    requested_at: datetime
    processing_started_at: datetime | None
    processing_ended_at: datetime | None


def _request(row: Row) -> PrivacyRequestRow:
    return PrivacyRequestRow(
        id=row["id"],
        company_id=row["company_id"],
        type=row["type"],
        subject_email=row["subject_email"],
        subject_phone=row["subject_phone"],
        request_msg=row["request_msg"],
        processed=bool(row["processed"]),
        credential_id=row["credential_id"],
        requested_at=as_time(row["requested_at"]) or datetime.min,
        processing_started_at=as_time(row["processing_started_at"]),
        processing_ended_at=as_time(row["processing_ended_at"]),
    )


async def insert_privacy_request(
    connection: Connection,
    *,
    company_id: int,
    type: str,
    subject_email: str | None,
    subject_phone: str | None,
    request_msg: str | None,
    credential_id: int | None,
    now: datetime,
) -> int:
    """Record a request as started; returns its id."""
    params = {
        "company_id": company_id,
        "type": type,
        "subject_email": subject_email,
        "subject_phone": subject_phone,
        "request_msg": request_msg,
        "credential_id": credential_id,
        "now": now,
    }
    return int(await connection.fetchval(INSERT_PRIVACY_REQUEST, params))


async def finish_privacy_request(
    connection: Connection, request_id: int, now: datetime
) -> PrivacyRequestRow:
    """Mark a request processed; returns it."""
    row = await connection.fetchrow(FINISH_PRIVACY_REQUEST, {"id": request_id, "now": now})
    assert row is not None
    return _request(row)


async def privacy_request(
    connection: Connection, company_id: int, request_id: int
) -> PrivacyRequestRow | None:
    """One of the company's requests, if it exists."""
    row = await connection.fetchrow(PRIVACY_REQUEST, {"company_id": company_id, "id": request_id})
    return None if row is None else _request(row)


async def suppressed_among(
    connection: Connection, company_id: int, hashes: Collection[str]
) -> set[tuple[str, str]]:
    """The (channel, hash) pairs among `hashes` on the suppression list."""
    if not hashes:
        return set()
    rows = await connection.fetch(
        SUPPRESSED_AMONG, {"company_id": company_id, "hashes": sorted(hashes)}
    )
    return {(row["channel"], row["contact_hash"]) for row in rows}


async def suppress(
    connection: Connection,
    company_id: int,
    entries: Sequence[tuple[str, str]],
    reason: str,
    request_id: int,
    now: datetime,
) -> None:
    """Add (channel, hash) entries to the suppression list, each once."""
    connection.lessen_eligibility()
    await connection.executemany(
        SUPPRESS,
        [
            {
                "company_id": company_id,
                "channel": channel,
                "contact_hash": digest,
                "reason": reason,
                "privacy_request_id": request_id,
                "now": now,
            }
            for channel, digest in entries
        ],
    )


@dataclass(frozen=True)
class SubjectRecord:
    """A subscription record of an erasure's subject."""

    id: int
    channel: str
    contact_value: str
    status: str


async def records_of_subject(
    connection: Connection, company_id: int, values: Collection[str], person_ids: Collection[int]
) -> list[SubjectRecord]:
    """Every record of these contact values or people."""
    params = {"company_id": company_id, "values": sorted(values), "person_ids": sorted(person_ids)}
    rows = await connection.fetch(RECORDS_OF_SUBJECT, params)
    return [SubjectRecord(r["id"], r["channel"], r["contact_value"], r["status"]) for r in rows]


async def delete_attribute_values(
    connection: Connection, company_id: int, person_ids: Collection[int]
) -> None:
    """Forget every attribute value of these people."""
    if person_ids:
        await connection.execute(
            DELETE_ATTRIBUTE_VALUES, {"company_id": company_id, "person_ids": sorted(person_ids)}
        )


async def redact_contact_values(
    connection: Connection, company_id: int, redactions: Mapping[str, str], body: str
) -> None:
    """Replace raw contact values (keys) by their redactions wherever they are kept.

    One statement per table, whatever the number of values; message bodies become `body`.
    """
    if not redactions:
        return
    params = {
        "company_id": company_id,
        "body": body,
        "redactions": Json(dict(redactions)),
        "values": list(redactions),
        "redacted": list(redactions.values()),
    }
    for query in REDACTIONS:
        await connection.execute(query, params)


async def subject_events_page(
    connection: Connection,
    company_id: int,
    values: Collection[str],
    person_ids: Collection[int],
    after: int,
    limit: int,
) -> list[LedgerEvent]:
    """Up to `limit` of the company's events past id `after` that hold one of the
    contact `values` or are about one of the people, by id, as the ledger reads them."""
    rows = await connection.fetch(
        SUBJECT_EVENTS_PAGE,
        {
            "company_id": company_id,
            "values": list(values),
            "person_ids": list(person_ids),
            "after": after,
            "limit": limit,
        },
    )
    return [ledger_event(row) for row in rows]


async def redact_events(
    connection: Connection, redacted: Sequence[tuple[int, str | None, dict[str, Any]]]
) -> None:
    """Rewrite events' (id, contact value, data), and drop their address and user agent."""
    await connection.executemany(
        REDACT_EVENT,
        [
            {"id": event_id, "contact_value": contact_value, "data": Json(data)}
            for event_id, contact_value, data in redacted
        ],
    )
