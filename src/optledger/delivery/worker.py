"""The worker: delivers messages and webhooks through the engine, and sweeps.

Messages and webhook deliveries are two kinds of job (`delivery.messages`,
`delivery.webhooks`) on one engine (`delivery.engine`): each has its own loop, so
a slow webhook receiver never delays a confirmation text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from optledger.core.use_cases.import_jobs import run_import_jobs
from optledger.core.use_cases.ledger import seal_ledger
from optledger.core.webhooks.destinations import DestinationRules
from optledger.delivery.engine import EnginePolicy, deliver_batch, pump
from optledger.delivery.jobs import sweep
from optledger.delivery.messages import MessageJobs
from optledger.delivery.transports.base import Transport
from optledger.delivery.webhook_client import open_webhook_client
from optledger.delivery.webhooks import WebhookJobs
from optledger.observability.heartbeats import keep_heartbeat
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.outbox import outbox_notifications

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy(EnginePolicy):
    """How a worker claims, retries and gives up, and how often it sweeps."""

    max_attempts: int = 8
    # Receivers answer in milliseconds and each has lines of its own: more in flight.
    webhook_max_in_flight: int = 200
    confirmation_ttl: timedelta = timedelta(hours=72)
    sweep_every_seconds: float = 60
    seal_every_seconds: float = 60
    # Where uploaded imports wait (None: this worker runs no import jobs).
    import_folder: Path | None = None
    import_poll_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the process is configured with."""
        return cls(
            batch_size=settings.worker_batch_size,
            max_in_flight=settings.worker_max_in_flight,
            webhook_max_in_flight=settings.webhook_max_in_flight,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            max_attempts=settings.delivery_max_attempts,
            poll_seconds=settings.worker_poll_seconds,
            confirmation_ttl=timedelta(hours=settings.confirmation_ttl_hours),
            seal_every_seconds=settings.ledger_seal_seconds,
            import_folder=settings.resolved_import_dir,
        )


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
    return await deliver_batch(database, MessageJobs(transports, policy.max_attempts), policy, stop)


@asynccontextmanager
async def configured_webhooks(settings: Settings) -> AsyncIterator[WebhookJobs]:
    """Webhook delivery as the settings configure it, with its own connection pool."""
    rules = DestinationRules.from_settings(settings)
    async with open_webhook_client(rules, settings.webhook_timeout_seconds) as client:
        yield WebhookJobs(client, retry_window=timedelta(hours=settings.webhook_retry_hours))


async def _now_and_then(
    what: str, task: Callable[[], Awaitable[object]], every_seconds: float, stop: asyncio.Event
) -> None:
    """Run `task` every `every_seconds` until `stop`; a failure is logged and retried."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            await task()
        except Exception:
            log.exception("%s failed; retrying", what)
        remaining = every_seconds - (time.monotonic() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(remaining, 0.01))


async def run_workers(
    database: Database,
    transports: Mapping[str, Transport],
    stop: asyncio.Event,
    policy: DeliveryPolicy,
    concurrency: int = 1,
    webhooks: WebhookJobs | None = None,
) -> None:
    """Deliver until `stop`: `concurrency` message loops, one webhook loop, one sweeper,
    one loop that seals the ledger, and one that runs import jobs.

    On PostgreSQL they also listen for other processes' commits of new work.
    The process keeps a heartbeat meanwhile, so that servers know someone delivers.
    """
    messages = MessageJobs(transports, policy.max_attempts)
    loops = [
        pump(database, messages, policy, stop, database.outbox_written) for _ in range(concurrency)
    ]
    if webhooks is not None:
        webhook_policy = replace(policy, max_in_flight=policy.webhook_max_in_flight)
        loops.append(pump(database, webhooks, webhook_policy, stop, database.webhooks_written))
    if policy.import_folder is not None:
        folder = policy.import_folder
        loops.append(
            _now_and_then(
                "import jobs",
                lambda: run_import_jobs(database, folder, policy.lease, stop),
                policy.import_poll_seconds,
                stop,
            )
        )
    async with outbox_notifications(database):
        await asyncio.gather(
            keep_heartbeat(database, stop),
            _now_and_then(
                "sweep",
                lambda: sweep(database, policy.confirmation_ttl),
                policy.sweep_every_seconds,
                stop,
            ),
            _now_and_then(
                "ledger seal",
                lambda: seal_ledger(database, stop=stop),
                policy.seal_every_seconds,
                stop,
            ),
            *loops,
        )
