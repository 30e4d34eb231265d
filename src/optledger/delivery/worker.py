"""The outbox worker: claims due messages, sends them, records the outcome.

At least once: a message is claimed with a lease, sent, then marked. A worker that
dies between sending and marking leaves the claim to lapse; another worker sends
the message again with the same idempotency key. On PostgreSQL, claims take rows
with `FOR UPDATE SKIP LOCKED`, so any number of workers share the outbox; on SQLite
the single write lock serialises claims.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from optledger.core.context import RequestContext
from optledger.core.events import EventType, new_event, record_events
from optledger.core.subscriptions.confirmations import expire_pending
from optledger.delivery.transports.base import Outgoing, SendResult, Transport, TransportError
from optledger.observability.heartbeats import keep_heartbeat
from optledger.observability.metrics import count_deliveries
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.outbox import outbox_notifications
from optledger.storage.repositories import deliveries
from optledger.storage.repositories.idempotency import ANSWER_LIFETIME, purge_expired_answers
from optledger.storage.sql import Connection
from optledger.storage.types import utcnow

log = logging.getLogger(__name__)

WORKER_CONTEXT = RequestContext(source="worker")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How a worker claims, retries and gives up."""

    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    backoff_base_seconds: float = 2
    max_backoff_seconds: float = 3600
    poll_seconds: float = 0.2
    max_in_flight: int = 32
    confirmation_ttl: timedelta = timedelta(hours=72)
    sweep_every_seconds: float = 60

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the process is configured with."""
        return cls(
            batch_size=settings.worker_batch_size,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            max_attempts=settings.delivery_max_attempts,
            poll_seconds=settings.worker_poll_seconds,
            confirmation_ttl=timedelta(hours=settings.confirmation_ttl_hours),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Exponential, capped, with jitter so that failed batches spread out."""
        seconds = min(self.backoff_base_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


async def _claim(connection: Connection, policy: DeliveryPolicy) -> list[Outgoing]:
    """Lease up to a batch of due messages; the attempt is counted when it is claimed,
    so a message that kills its worker still reaches the dead letter."""
    now = utcnow()
    claimed = await deliveries.claim_due_messages(
        connection, now, now + policy.lease, policy.batch_size
    )
    return [
        Outgoing(
            id=message.id,
            idempotency_key=message.idempotency_key,
            channel=message.channel,
            to=message.to_address,
            body=message.body,
            kind=message.kind,
            company_key=message.company_key,
            locale=message.locale,
        )
        for message in claimed
    ]


Outcome = SendResult | TransportError


async def _send(transports: Mapping[str, Transport], message: Outgoing) -> Outcome:
    try:
        return await transports[message.channel].send(message)
    except TransportError as exc:
        return exc
    except Exception as exc:  # a transport bug must not lose the other outcomes
        log.exception("transport failed on message %d", message.id)
        return TransportError(f"unexpected {exc!r}")


async def _record(
    connection: Connection,
    outcomes: dict[int, Outcome],
    unsent: list[int],
    policy: DeliveryPolicy,
) -> Counter[str]:
    """Mark each outcome and release the `unsent`; returns how many were sent, retried
    and dead."""
    await deliveries.release_claims(connection, unsent)
    now = utcnow()
    sent: list[tuple[int, str | None]] = []
    events = []
    results: Counter[str] = Counter()
    # Those no longer queued were finished by another worker after our lease ran out.
    for message in await deliveries.queued_among(connection, outcomes):
        outcome = outcomes[message.id]
        if isinstance(outcome, SendResult):
            sent.append((message.id, outcome.provider_id))
            event = EventType.MESSAGE_SENT
        else:
            error = str(outcome)[:2000]
            if outcome.retryable and message.attempts < policy.max_attempts:
                next_attempt = now + policy.backoff(message.attempts)
                await deliveries.mark_retry(connection, message.id, error, next_attempt)
                results["retried"] += 1
                continue
            await deliveries.mark_dead(connection, message.id, error)
            results["dead"] += 1
            event = EventType.MESSAGE_DEAD
            log.warning(
                "message %d is dead after %d attempts: %s", message.id, message.attempts, outcome
            )
        events.append(
            new_event(
                message.company_id,
                event,
                WORKER_CONTEXT,
                person_id=message.person_id,
                channel=message.channel,
                contact_value=message.to_address,
                data={
                    "message_id": message.id,
                    "kind": message.kind,
                    "idempotency_key": message.idempotency_key,
                    "attempts": message.attempts,
                },
            )
        )
    await deliveries.mark_sent(connection, sent, now)
    await record_events(connection, events)
    results["sent"] = len(sent)
    return results


async def deliver_due(
    database: Database,
    transports: Mapping[str, Transport],
    policy: DeliveryPolicy | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Deliver one batch of due messages; returns how many were claimed.

    Once `stop` is set, sends in flight finish and the rest of the batch goes back
    to the outbox untried, for another worker to claim at once.
    """
    policy = policy or DeliveryPolicy()
    claimed = await database.run(lambda connection: _claim(connection, policy))
    if not claimed:
        return 0
    # Messages to one recipient go out one after another, in the order they were
    # queued (a prompt before its welcome); different recipients go out in parallel.
    by_recipient: dict[tuple[str, str], list[Outgoing]] = {}
    for message in claimed:
        by_recipient.setdefault((message.channel, message.to), []).append(message)
    limit = asyncio.Semaphore(policy.max_in_flight)
    outcomes: dict[int, Outcome] = {}

    async def send_in_order(messages: list[Outgoing]) -> None:
        async with limit:
            for message in messages:
                if stop is not None and stop.is_set():
                    return
                outcomes[message.id] = await _send(transports, message)

    await asyncio.gather(*(send_in_order(group) for group in by_recipient.values()))
    # Counted once committed: a replayed transaction would count twice.
    unsent = [message.id for message in claimed if message.id not in outcomes]
    results = await database.run(lambda connection: _record(connection, outcomes, unsent, policy))
    for result, count in results.items():
        count_deliveries(result, count)
    return len(claimed)


async def expire_prompts(database: Database, policy: DeliveryPolicy) -> int:
    """Expire every confirmation prompt older than the policy's time to live."""
    cutoff = utcnow() - policy.confirmation_ttl
    total = 0
    while expired := await database.run(lambda connection: expire_pending(connection, cutoff)):
        total += expired
    return total


async def forget_idempotent_answers(database: Database) -> int:
    """Delete answers kept for idempotency keys past their lifetime."""
    cutoff = utcnow() - ANSWER_LIFETIME
    return await database.run(lambda connection: purge_expired_answers(connection, cutoff))


async def run_worker(
    database: Database,
    transports: Mapping[str, Transport],
    stop: asyncio.Event,
    policy: DeliveryPolicy | None = None,
    *,
    sweeps: bool = True,
) -> None:
    """Deliver until `stop` is set, sleeping while the outbox is empty.

    With `sweeps`, unanswered prompts are also expired now and then.
    """
    policy = policy or DeliveryPolicy()
    next_sweep = time.monotonic()
    while not stop.is_set():
        delivered = 0
        try:
            if sweeps and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + policy.sweep_every_seconds
                await expire_prompts(database, policy)
                await forget_idempotent_answers(database)
            delivered = await deliver_due(database, transports, policy, stop)
        except Exception:
            log.exception("outbox delivery failed; retrying")
        if not delivered:
            await _idle(database, stop, policy.poll_seconds)


async def _idle(database: Database, stop: asyncio.Event, seconds: float) -> None:
    """Wait for new messages, `stop`, or `seconds`, whichever comes first."""
    waiters = [
        asyncio.ensure_future(stop.wait()),
        asyncio.ensure_future(database.outbox_written.wait()),
    ]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    database.outbox_written.clear()


async def run_workers(
    database: Database,
    transports: Mapping[str, Transport],
    stop: asyncio.Event,
    policy: DeliveryPolicy,
    concurrency: int = 1,
) -> None:
    """`concurrency` delivery loops in this process; one of them sweeps expiries.

    On PostgreSQL they also listen for other processes' commits of new messages.
    The process keeps a heartbeat meanwhile, so that servers know someone delivers.
    """
    async with outbox_notifications(database):
        await asyncio.gather(
            keep_heartbeat(database, stop),
            *(
                run_worker(database, transports, stop, policy, sweeps=index == 0)
                for index in range(concurrency)
            ),
        )
