"""The outbox: messages to people, written in the transaction of the change that causes them.

A commit that queued messages wakes the workers: in this process through
`Database.outbox_written`, in others by a NOTIFY that PostgreSQL delivers only
if the transaction commits (so a rolled-back message never wakes anyone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.database import OUTBOX_CHANNEL
from optledger.storage.repositories.events import NewEvent
from optledger.storage.sql import Connection, Query

_MESSAGE_COLUMNS = """
    company_id, person_id, channel, to_address, kind, body, locale, idempotency_key,
    status, attempts, next_attempt_at, created_at
"""
_MESSAGE_VALUES = """
    :company_id, :person_id, :channel, :to_address, :kind, :body, :locale,
    :idempotency_key, 'queued', 0, :created_at, :created_at
"""
_EVENT_COLUMNS = """
    company_id, type, person_id, record_id, channel, contact_value, data,
    credential_id, client_ip, user_agent, created_at
"""
_EVENT_VALUES = """
    :company_id, :event_type, :person_id, NULL, :channel, :to_address, :data,
    :credential_id, :client_ip, :user_agent, :created_at
"""

# The message, its `message_queued` event and the wake-up in one statement.
QUEUE_MESSAGE = Query(
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES ({_MESSAGE_VALUES}) RETURNING id",
    postgresql=f"""
    WITH message AS (
        INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES ({_MESSAGE_VALUES}) RETURNING id
    ), queued AS (
        INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({_EVENT_VALUES})
    )
    SELECT id, pg_notify('{OUTBOX_CHANNEL}', '') IS NULL FROM message
    """,
)
INSERT_QUEUED_EVENT = Query(f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({_EVENT_VALUES})")


@dataclass(frozen=True)
class NewMessage:
    """A rendered message to queue."""

    company_id: int
    person_id: int | None
    channel: str
    to_address: str
    kind: str
    body: str
    locale: str
    idempotency_key: str
    created_at: datetime


@dataclass(frozen=True)
class QueuedMessage:
    """A rendered message and its `message_queued` event."""

    message: NewMessage
    queued: NewEvent


async def queue_message(connection: Connection, queued_message: QueuedMessage) -> int:
    """Queue a message with its `message_queued` event; returns the message id."""
    message, queued = queued_message.message, queued_message.queued
    params: dict[str, Any] = {
        **queued.params(),
        "event_type": queued.type,
        "company_id": message.company_id,
        "person_id": message.person_id,
        "channel": message.channel,
        "to_address": message.to_address,
        "kind": message.kind,
        "body": message.body,
        "locale": message.locale,
        "idempotency_key": message.idempotency_key,
        "created_at": message.created_at,
    }
    message_id = int(await connection.fetchval(QUEUE_MESSAGE, params))
    if connection.is_sqlite:
        await connection.execute(INSERT_QUEUED_EVENT, params)
    connection.outbox_written = True
    return message_id
