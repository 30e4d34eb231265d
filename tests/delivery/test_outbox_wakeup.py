"""A commit that queues messages wakes idle workers at once, not at the next poll."""

from __future__ import annotations

import asyncio
import time

from optledger.delivery.transports.log import LogTransport
from optledger.delivery.worker import DeliveryPolicy, run_workers
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import messages, queue_one

PHONE = "+19148440021"

# Far longer than the test waits: only a wake-up can explain a quick delivery.
SLOW_POLL = DeliveryPolicy(poll_seconds=30, sweep_every_seconds=3600)


async def sent_within(tenant: Tenant, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await messages(tenant.database, tenant.company_id, PHONE)
        if found and all(message.status == "sent" for message in found):
            return True
        await asyncio.sleep(0.05)
    return False


async def deliver_one_with_idle_worker(tenant: Tenant, worker_database: Database) -> None:
    transports = {"TEXT": LogTransport(), "EMAIL": LogTransport()}
    stop = asyncio.Event()
    worker = asyncio.create_task(run_workers(worker_database, transports, stop, SLOW_POLL))
    try:
        await asyncio.sleep(0.5)  # let it drain what other tests left and fall idle
        await queue_one(tenant, PHONE)
        assert await sent_within(tenant, 5)
    finally:
        stop.set()
        worker_database.outbox_written.set()
        await worker


async def test_a_commit_wakes_a_worker_in_the_same_process(
    tenant: Tenant, database: Database
) -> None:
    await deliver_one_with_idle_worker(tenant, database)


async def test_notify_wakes_a_worker_in_another_process(postgres_database: Database) -> None:
    tenant = await make_tenant(postgres_database)
    # A second handle on the database stands for another process's connections.
    other_process = Database(postgres_database.url)
    try:
        await deliver_one_with_idle_worker(tenant, other_process)
    finally:
        await other_process.dispose()
