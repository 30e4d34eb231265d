"""Real `optledger worker` processes on PostgreSQL: a SIGKILL mid-batch, and two workers at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.companies import get_company_by_key
from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.message_kinds import MessageKind
from optledger.core.messages import queue_message
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.provision import create_postgres_database
from optledger.storage.sql import Connection
from optledger.storage.tables import Message
from tests.conftest import Tenant, make_tenant, postgres_admin_url
from tests.support.sink import HttpSink

pytestmark = pytest.mark.postgres


@pytest.fixture
async def fresh_postgres() -> AsyncIterator[Database]:
    """A database of its own, so that only this test's messages are in the outbox."""
    url = await create_postgres_database(postgres_admin_url())
    await upgrade_database(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


async def queue_batch(tenant: Tenant, count: int) -> dict[str, str]:
    """`count` messages to distinct numbers in one transaction; returns {to: idempotency key}."""

    async def apply(connection: Connection) -> None:
        company = await get_company_by_key(connection, tenant.key)
        context = RequestContext(source="test")
        for index in range(count):
            await queue_message(
                connection,
                company,
                context,
                channel=Channel.TEXT,
                to=f"+1914{index:07d}",
                kind=MessageKind.HELP,
                locale="en-US",
            )

    await tenant.database.run(apply)

    async def keys(session: AsyncSession) -> dict[str, str]:
        queued = await session.scalars(
            select(Message).where(Message.company_id == tenant.company_id)
        )
        return {message.to_address: message.idempotency_key for message in queued}

    return await tenant.database.inspect(keys)


def start_worker(
    database: Database, sink: HttpSink, *, concurrency: int, lease_seconds: int = 3
) -> subprocess.Popen[bytes]:
    """A real `optledger worker`; a short lease lets a killed worker's claims retry soon."""
    env = {
        **os.environ,
        "OPTLEDGER_DATABASE_URL": database.url,
        "OPTLEDGER_SMS_TRANSPORT": "webhook",
        "OPTLEDGER_SMS_WEBHOOK_URL": sink.url,
        "OPTLEDGER_WORKER_LEASE_SECONDS": str(lease_seconds),
        "OPTLEDGER_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "optledger", "worker", f"--concurrency={concurrency}"]
    return subprocess.Popen(command, env=env)


async def count_sent(database: Database) -> int:
    async def query(session: AsyncSession) -> int:
        statement = select(func.count()).select_from(Message).where(Message.status == "sent")
        return int(await session.scalar(statement) or 0)

    return await database.inspect(query)


async def wait_until_sent(database: Database, total: int, within: float) -> float:
    started = time.monotonic()
    while (sent := await count_sent(database)) < total:
        assert time.monotonic() - started < within, f"only {sent} of {total} sent"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def keys_by_recipient(sink: HttpSink) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for delivery in sink.snapshot():
        assert delivery.key == delivery.payload["id"]
        found[delivery.payload["to"]].append(delivery.key)
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


async def test_a_worker_killed_mid_batch_loses_nothing(
    fresh_postgres: Database, sink: HttpSink
) -> None:
    tenant = await make_tenant(fresh_postgres)
    queued = await queue_batch(tenant, 300)
    sink.delay = 0.2  # a batch is in flight for a while
    first = start_worker(fresh_postgres, sink, concurrency=1)
    try:
        deadline = time.monotonic() + 30
        while sink.requests < 40:
            assert time.monotonic() < deadline, "the first worker never delivered"
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    delivered_before_kill = len(sink.snapshot())
    sent_before_restart = await count_sent(fresh_postgres)
    assert sent_before_restart < 300

    second = start_worker(fresh_postgres, sink, concurrency=1)
    try:
        await wait_until_sent(fresh_postgres, 300, within=60)
    finally:
        stop(second)

    received = keys_by_recipient(sink)
    assert set(received) == set(queued)  # every queued message reached the sink
    for to, keys in received.items():
        assert set(keys) == {queued[to]}  # a repeat only ever carries the same key
    duplicates = sum(len(keys) - 1 for keys in received.values())
    # The claims the killed worker held were retried after its lease ran out: what it had
    # sent but not yet marked was sent again, under the same key.
    assert duplicates > 0
    print(
        f"crash test: {delivered_before_kill} delivered before SIGKILL, "
        f"{sent_before_restart} marked sent, {duplicates} resent with the same key"
    )


async def test_two_workers_deliver_ten_thousand_without_double_sending(
    fresh_postgres: Database, sink: HttpSink
) -> None:
    tenant = await make_tenant(fresh_postgres)
    queued = await queue_batch(tenant, 10_000)
    # The default lease: on a busy machine a batch can outlast a short one, and a
    # batch retried after its lease is a resend by design, not the double claim
    # this test looks for.
    workers = [
        start_worker(fresh_postgres, sink, concurrency=2, lease_seconds=60) for _ in range(2)
    ]
    try:
        elapsed = await wait_until_sent(fresh_postgres, 10_000, within=240)
        assert all(worker.poll() is None for worker in workers)
    finally:
        for worker in workers:
            stop(worker)
    received = keys_by_recipient(sink)
    assert set(received) == set(queued)
    for to, keys in received.items():
        assert set(keys) == {queued[to]}
    duplicates = sum(len(keys) - 1 for keys in received.values())
    assert duplicates == 0  # SKIP LOCKED: no row is ever claimed by two workers at once
    print(f"10k test: 10000 messages by 2 workers in {elapsed:.1f} s, {duplicates} duplicates")
