"""Workers keep a heartbeat; a server with no worker says so while messages wait."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from optledger.delivery.transports.base import Transport
from optledger.delivery.transports.log import LogTransport
from optledger.delivery.worker import DeliveryPolicy, run_workers
from optledger.observability.heartbeats import warn_if_no_worker, watch_for_workers
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories import heartbeats
from optledger.storage.tables import WorkerHeartbeat
from tests.conftest import Tenant
from tests.support.helpers import subscribe

PHONE = "+19148440191"
THIS_PROCESS = f"{socket.gethostname()}:{os.getpid()}"


async def heartbeat_rows(database: Database) -> dict[str, WorkerHeartbeat]:
    found = await database.inspect(lambda session: session.scalars(select(WorkerHeartbeat)))
    return {row.worker_id: row for row in found}


async def test_a_running_worker_keeps_a_heartbeat_and_removes_it_when_it_stops(
    database: Database,
) -> None:
    transports: dict[str, Transport] = {"TEXT": LogTransport(), "EMAIL": LogTransport()}
    stop = asyncio.Event()
    started = utcnow()
    worker = asyncio.create_task(run_workers(database, transports, stop, DeliveryPolicy()))
    try:
        for _ in range(100):
            if THIS_PROCESS in await heartbeat_rows(database):
                break
            await asyncio.sleep(0.02)
        row = (await heartbeat_rows(database))[THIS_PROCESS]
        assert started - timedelta(seconds=1) <= row.seen_at <= utcnow()
    finally:
        stop.set()
        await worker
    assert THIS_PROCESS not in await heartbeat_rows(database)


async def test_the_warning_comes_while_messages_wait_and_no_worker_is_seen(
    client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await subscribe(client, PHONE)).status_code == 202  # queues a "Reply Y" prompt
    database = tenant.database
    # An hour on, every heartbeat written so far is stale.
    later = utcnow() + timedelta(hours=1)
    with caplog.at_level(logging.WARNING, logger="optledger.observability.heartbeats"):
        assert await warn_if_no_worker(database, now=later)
    assert "wait in the outbox and no worker is running" in caplog.text
    assert "optledger worker" in caplog.text
    assert PHONE not in caplog.text

    await database.run(lambda connection: heartbeats.beat(connection, "test-worker", later))
    try:
        assert not await warn_if_no_worker(database, now=later + timedelta(seconds=30))
        assert await warn_if_no_worker(database, now=later + timedelta(seconds=61))
    finally:
        await database.run(lambda connection: heartbeats.forget(connection, "test-worker"))


async def test_the_server_checks_again_and_again(
    client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await subscribe(client, PHONE)).status_code == 202
    database = tenant.database
    # Heartbeats other tests' workers may have left behind would hide the warning.
    await database.run(
        lambda connection: heartbeats.forget_seen_before(connection, utcnow() + timedelta(days=1))
    )
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="optledger.observability.heartbeats"):
        watcher = asyncio.create_task(watch_for_workers(database, stop, every=0.01))
        for _ in range(200):
            if caplog.text.count("no worker is running") >= 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await watcher
    assert caplog.text.count("no worker is running") >= 2


async def test_metrics_say_whether_a_worker_is_alive(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    database = tenant.database
    await database.run(lambda connection: heartbeats.beat(connection, "test-worker", utcnow()))
    try:
        text = (await client.get("/metrics")).text
    finally:
        await database.run(lambda connection: heartbeats.forget(connection, "test-worker"))
    assert "optledger_worker_alive 1.0" in text
