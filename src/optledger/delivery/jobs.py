"""Housekeeping the worker does now and then, beside delivering."""

from __future__ import annotations

from datetime import timedelta

from optledger.core.subscriptions.confirmations import expire_pending
from optledger.storage.database import Database
from optledger.storage.repositories.idempotency import ANSWER_LIFETIME, purge_expired_answers
from optledger.storage.types import utcnow


async def expire_prompts(database: Database, time_to_live: timedelta) -> int:
    """Expire every confirmation prompt older than `time_to_live`."""
    cutoff = utcnow() - time_to_live
    total = 0
    while expired := await database.run(lambda connection: expire_pending(connection, cutoff)):
        total += expired
    return total


async def forget_idempotent_answers(database: Database) -> int:
    """Delete answers kept for idempotency keys past their lifetime."""
    cutoff = utcnow() - ANSWER_LIFETIME
    return await database.run(lambda connection: purge_expired_answers(connection, cutoff))


async def sweep(database: Database, confirmation_ttl: timedelta) -> None:
    """Every housekeeping job, once."""
    await expire_prompts(database, confirmation_ttl)
    await forget_idempotent_answers(database)
