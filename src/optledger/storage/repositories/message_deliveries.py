"""The worker's side of the outbox: claiming due messages and recording outcomes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.storage.repositories import leases
from optledger.storage.repositories.leases import lease_queries
from optledger.storage.sql import Connection, Query, Row, as_dict, as_time

# An email names the list its List-Unsubscribe link ends: that of the address's latest
# record (the one its prompt or welcome is about), else the company's default
# MARKETING email list.
_EMAIL_LIST = """CASE WHEN m.channel = 'EMAIL' THEN COALESCE(
        (SELECT r.list_id FROM subscription_records r
         WHERE r.company_id = m.company_id AND r.contact_value = m.to_address
           AND r.channel = 'EMAIL'
         ORDER BY r.id DESC LIMIT 1),
        (SELECT l.id FROM subscription_lists l
         WHERE l.company_id = m.company_id AND l.channel = 'EMAIL' AND l.type = 'MARKETING'
           AND l.is_default)
    ) END AS list_id"""
_CLAIMED_COLUMNS = f"""m.id, m.company_id, m.person_id, m.channel, m.to_address, m.kind, m.body,
    m.locale, m.idempotency_key, m.attempts, c.key AS company_key, {_EMAIL_LIST}"""
LEASES = lease_queries(
    table="messages",
    alias="m",
    waiting="queued",
    columns=_CLAIMED_COLUMNS,
    joins="JOIN companies c ON c.id = m.company_id",
)
QUEUED_AMONG = Query(
    f"""SELECT {_CLAIMED_COLUMNS} FROM messages m JOIN companies c ON c.id = m.company_id
    WHERE m.id IN (SELECT value FROM json_each(:ids)) AND m.status = 'queued' ORDER BY m.id""",
    postgresql=f"""SELECT {_CLAIMED_COLUMNS} FROM messages m
    JOIN companies c ON c.id = m.company_id
    WHERE m.id = ANY(:ids::bigint[]) AND m.status = 'queued' ORDER BY m.id""",
)
MARK_SENT = Query(
    """UPDATE messages SET status = 'sent', provider_id = :provider_id, sent_at = :now,
        last_error = NULL, claimed_until = NULL
    WHERE id = :id"""
)
MARK_RETRY = Query(
    """UPDATE messages SET last_error = :error, next_attempt_at = :next_attempt_at,
        claimed_until = NULL
    WHERE id = :id"""
)
MARK_DEAD = Query(
    """UPDATE messages SET status = 'dead', last_error = :error, claimed_until = NULL
    WHERE id = :id"""
)


@dataclass(frozen=True)
class ClaimedMessage:
    """A message leased to this worker, with the company it is sent for."""

    id: int
    company_id: int
    person_id: int | None
    channel: str
    to_address: str
    kind: str
    body: str
    locale: str
    idempotency_key: str
    attempts: int
    company_key: str
    # An email's list for its List-Unsubscribe link; None for a text.
    list_id: int | None = None


async def claim_due_messages(
    connection: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedMessage]:
    """Lease up to `limit` due messages, oldest first, counting the attempt."""
    rows = await leases.claim_due(connection, LEASES, now, lease_until, limit)
    return [ClaimedMessage(**as_dict(row)) for row in rows]


async def queued_among(connection: Connection, ids: Collection[int]) -> list[ClaimedMessage]:
    """Those of `ids` still queued (another worker may have finished one)."""
    if not ids:
        return []
    rows = await connection.fetch(QUEUED_AMONG, {"ids": sorted(ids)})
    return [ClaimedMessage(**as_dict(row)) for row in rows]


async def mark_sent(
    connection: Connection, sent: Sequence[tuple[int, str | None]], now: datetime
) -> None:
    """Record sends: (message id, provider id) each."""
    if sent:
        await connection.executemany(
            MARK_SENT, [{"id": i, "provider_id": p, "now": now} for i, p in sent]
        )


async def mark_retry(
    connection: Connection, message_id: int, error: str, next_attempt_at: datetime
) -> None:
    """Record a failed attempt that will be tried again."""
    await connection.execute(
        MARK_RETRY, {"id": message_id, "error": error, "next_attempt_at": next_attempt_at}
    )


async def mark_dead(connection: Connection, message_id: int, error: str) -> None:
    """Give up on a message: the dead letter."""
    await connection.execute(MARK_DEAD, {"id": message_id, "error": error})


LOGGED_COLUMNS = """m.id, m.channel, m.to_address, m.kind, m.body, m.locale, m.status,
    m.attempts, m.last_error, m.provider_id, m.idempotency_key, m.created_at, m.sent_at,
    c.key AS company_key"""
MESSAGES_TO = Query(
    f"""SELECT {LOGGED_COLUMNS} FROM messages m JOIN companies c ON c.id = m.company_id
    WHERE m.to_address = :to AND (:company_id IS NULL OR m.company_id = :company_id)
    ORDER BY m.id DESC LIMIT :limit""",
    postgresql=f"""SELECT {LOGGED_COLUMNS} FROM messages m
    JOIN companies c ON c.id = m.company_id
    WHERE m.to_address = :to AND (:company_id::integer IS NULL OR m.company_id = :company_id)
    ORDER BY m.id DESC LIMIT :limit""",
)


RECENT_MESSAGES = Query(
    f"""SELECT {LOGGED_COLUMNS} FROM messages m JOIN companies c ON c.id = m.company_id
    WHERE m.company_id = :company_id ORDER BY m.id DESC LIMIT :limit"""
)
MESSAGES_TO_ANY = Query(
    f"""SELECT {LOGGED_COLUMNS} FROM messages m JOIN companies c ON c.id = m.company_id
    WHERE m.company_id = :company_id AND m.to_address IN (SELECT value FROM json_each(:to))
    ORDER BY m.id DESC LIMIT :limit""",
    postgresql=f"""SELECT {LOGGED_COLUMNS} FROM messages m JOIN companies c ON c.id = m.company_id
    WHERE m.company_id = :company_id AND m.to_address = ANY(:to::text[])
    ORDER BY m.id DESC LIMIT :limit""",
)


@dataclass(frozen=True)
class LoggedMessage:
    """A message as the operator's log shows it."""

    id: int
    channel: str
    to_address: str
    kind: str
    body: str
    locale: str
    status: str
    attempts: int
    last_error: str | None
    provider_id: str | None
    idempotency_key: str
    created_at: datetime
    sent_at: datetime | None
    company_key: str


def logged_message(row: Row) -> LoggedMessage:
    """A message log row as read by any of the log's queries."""
    return LoggedMessage(
        **{
            **as_dict(row),
            "created_at": as_time(row["created_at"]) or datetime.min,
            "sent_at": as_time(row["sent_at"]),
        }
    )


async def messages_to(
    connection: Connection, company_id: int | None, to: str, limit: int
) -> list[LoggedMessage]:
    """What was queued for one stored address, newest first; None reads every company."""
    rows = await connection.fetch(MESSAGES_TO, {"to": to, "company_id": company_id, "limit": limit})
    return [logged_message(row) for row in rows]


async def recent_messages(
    connection: Connection, company_id: int, limit: int
) -> list[LoggedMessage]:
    """The company's latest messages, newest first."""
    rows = await connection.fetch(RECENT_MESSAGES, {"company_id": company_id, "limit": limit})
    return [logged_message(row) for row in rows]


async def messages_to_any(
    connection: Connection, company_id: int, addresses: Collection[str], limit: int
) -> list[LoggedMessage]:
    """The company's messages to any of `addresses` (stored form), newest first."""
    if not addresses:
        return []
    params = {"company_id": company_id, "to": sorted(addresses), "limit": limit}
    return [logged_message(row) for row in await connection.fetch(MESSAGES_TO_ANY, params)]


async def release_claims(connection: Connection, ids: Collection[int]) -> int:
    """Give leased messages back to the outbox untried, for any worker to claim now."""
    return await leases.release_claims(connection, LEASES, ids)
