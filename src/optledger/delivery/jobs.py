"""Housekeeping the worker does now and then, beside delivering."""

from __future__ import annotations

from datetime import timedelta

from optledger.core.operators.sign_in import forget_old_sign_in_failures
from optledger.core.subscriptions.confirmations import expire_pending
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.idempotency import ANSWER_LIFETIME, purge_expired_answers
from optledger.storage.repositories.webhook_deliveries import forget_finished


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


# How long the delivery log keeps a finished webhook delivery.
DELIVERY_LOG_LIFETIME = timedelta(days=30)


async def forget_finished_deliveries(database: Database) -> int:
    """Delete webhook deliveries finished and queued longer ago than the log keeps them."""
    cutoff = utcnow() - DELIVERY_LOG_LIFETIME
    total = 0
    while forgotten := await database.run(lambda connection: forget_finished(connection, cutoff)):
        total += forgotten
    return total


async def sweep(database: Database, confirmation_ttl: timedelta) -> None:
    """Every housekeeping job, once."""
    await expire_prompts(database, confirmation_ttl)
    await forget_idempotent_answers(database)
    await forget_finished_deliveries(database)
    await forget_old_sign_in_failures(database)
