"""The outbox worker: claims due messages, sends them, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.delivery.transports.base import Outgoing, Transport, TransportError
from optledger.storage.database import Database
from optledger.storage.tables import Company, Message
from optledger.storage.types import utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 50
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


async def _claim(session: AsyncSession, limit: int) -> list[tuple[Message, str]]:
    now = utcnow()
    due = (
        select(Message.id)
        .where(
            Message.status == "queued",
            Message.next_attempt_at <= now,
            (Message.claimed_until.is_(None)) | (Message.claimed_until < now),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(await session.scalars(due))
    if not ids:
        return []
    await session.execute(
        update(Message).where(Message.id.in_(ids)).values(claimed_until=now + LEASE)
    )
    rows = await session.execute(
        select(Message, Company.key)
        .join(Company, Company.id == Message.company_id)
        .where(Message.id.in_(ids))
        .order_by(Message.id)
    )
    return [(message, key) for message, key in rows.tuples()]


async def _record(
    database: Database, message_id: int, error: TransportError | None, provider_id: str | None
) -> None:
    async def apply(session: AsyncSession) -> None:
        message = await session.get_one(Message, message_id)
        message.attempts += 1
        message.claimed_until = None
        if error is None:
            message.status = "sent"
            message.provider_id = provider_id
            message.sent_at = utcnow()
            message.last_error = None
            return
        message.last_error = str(error)
        if not error.retryable or message.attempts >= MAX_ATTEMPTS:
            message.status = "dead"
        else:
            message.next_attempt_at = utcnow() + timedelta(seconds=2**message.attempts)

    await database.run(apply)


async def deliver_due(database: Database, transports: Mapping[str, Transport]) -> int:
    """Deliver one batch of due messages; returns how many were attempted."""
    claimed = await database.run(lambda session: _claim(session, BATCH_SIZE))
    for message, company_key in claimed:
        outgoing = Outgoing(
            id=message.id,
            idempotency_key=message.idempotency_key,
            channel=message.channel,
            to=message.to_address,
            body=message.body,
            kind=message.kind,
            company_key=company_key,
            locale=message.locale,
        )
        try:
            result = await transports[message.channel].send(outgoing)
        except TransportError as exc:
            await _record(database, message.id, exc, None)
        else:
            await _record(database, message.id, None, result.provider_id)
    return len(claimed)


async def run_worker(
    database: Database,
    transports: Mapping[str, Transport],
    stop: asyncio.Event,
    *,
    idle_seconds: float = 0.5,
) -> None:
    """Deliver until `stop` is set, sleeping while the outbox is empty."""
    while not stop.is_set():
        try:
            delivered = await deliver_due(database, transports)
        except Exception:
            log.exception("outbox delivery failed; retrying")
            delivered = 0
        if not delivered:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
