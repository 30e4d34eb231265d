"""Sealing runs in the worker, and seals every event exactly once however writers and
sealers interleave: an event that commits late goes into a later seal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from optledger.core.use_cases.ledger import ledger_checkpoints, seal_ledger, verify_ledger
from optledger.delivery.transports.log import LogTransport
from optledger.delivery.worker import DeliveryPolicy, run_workers
from optledger.storage.database import Database
from optledger.storage.repositories.events import NewEvent, insert_event_returning_id
from optledger.storage.sql import Connection
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import subscribe
from tests.support.ledger import EVENT_IDS, LEAF_EVENT_IDS, ids_of, subscribe_many

# Sealing often; delivering and sweeping never within the test.
MOMENT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
SEALING_WORKER = DeliveryPolicy(poll_seconds=30, sweep_every_seconds=3600, seal_every_seconds=0.1)


async def sealed_size(tenant: Tenant) -> int:
    heads = await ledger_checkpoints(tenant.database, tenant.key)
    return int(str(heads[0]["tree_size"])) if heads else 0


async def test_the_worker_seals_new_events_by_itself(
    tenant: Tenant, client: httpx.AsyncClient, database: Database
) -> None:
    transports = {"TEXT": LogTransport(), "EMAIL": LogTransport()}
    stop = asyncio.Event()
    worker = asyncio.create_task(run_workers(database, transports, stop, SEALING_WORKER))
    try:
        await subscribe_many(client, 2)
        written = len(await ids_of(database, EVENT_IDS, tenant.company_id))
        # The worker delivers the confirmations meanwhile, which writes events too.
        for _ in range(200):
            events = len(await ids_of(database, EVENT_IDS, tenant.company_id))
            if await sealed_size(tenant) == events >= written:
                break
            await asyncio.sleep(0.05)
        assert await sealed_size(tenant) == events >= written
    finally:
        stop.set()
        await worker
    assert (await verify_ledger(database, tenant.key)).ok


async def late_committer(tenant: Tenant, index: int) -> None:
    """An event whose transaction stays open a while after drawing its id: a later
    event can commit first."""

    async def write(connection: Connection) -> None:
        event = NewEvent(
            company_id=tenant.company_id,
            type="late_test_event",
            created_at=datetime.now(UTC),
            data={"index": index},
        )
        await insert_event_returning_id(connection, event)
        await asyncio.sleep(0.03 * (index % 4))

    await tenant.database.run(write)


async def test_writers_and_two_sealers_at_once_seal_every_event_exactly_once(
    tenant: Tenant, client: httpx.AsyncClient, database: Database
) -> None:
    # A second handle on the database stands for another worker process.
    other_worker = Database(database.url)
    stop = asyncio.Event()
    # What other tests left unsealed, sealed first, so that each round below is short.
    await seal_ledger(other_worker)

    async def keep_sealing(handle: Database, company: str | None) -> int:
        rounds = 0
        while not stop.is_set():
            await seal_ledger(handle, company)
            rounds += 1
            await asyncio.sleep(0.005)
        return rounds

    sealers = [
        asyncio.create_task(keep_sealing(database, tenant.key)),
        asyncio.create_task(keep_sealing(other_worker, None)),
    ]
    try:
        writes = [subscribe(client, f"+1914666{number:04d}") for number in range(60)]
        writes += [late_committer(tenant, index) for index in range(60)]
        answers = await asyncio.gather(*writes)
        assert all(answer is None or answer.status_code < 300 for answer in answers)
    finally:
        stop.set()
        rounds = await asyncio.gather(*sealers)
        await other_worker.dispose()
    # Seals ran between the writes (on SQLite, writers queue for its one writer).
    assert max(rounds) > 1
    await seal_ledger(database, tenant.key)

    events = await ids_of(database, EVENT_IDS, tenant.company_id)
    assert await ids_of(database, LEAF_EVENT_IDS, tenant.company_id) == events
    tally = await verify_ledger(database, tenant.key)
    assert tally.findings == []
    assert tally.sealed == tally.events == len(events) >= 120


async def test_a_writer_holding_events_past_the_lock_timeout_skips_a_round(
    postgres_database: Database,
) -> None:
    tenant = await make_tenant(postgres_database)
    drawn, release = asyncio.Event(), asyncio.Event()

    async def slow_write(connection: Connection) -> None:
        await insert_event_returning_id(
            connection,
            NewEvent(company_id=tenant.company_id, type="late_test_event", created_at=MOMENT),
        )
        drawn.set()
        await release.wait()

    writer = asyncio.create_task(postgres_database.run(slow_write))
    try:
        await drawn.wait()
        skipped = await seal_ledger(postgres_database, tenant.key)
    finally:
        release.set()
        await writer
    assert (skipped.busy, skipped.seals) == (True, [])
    # Committed now, the event goes into the next round's seal.
    [sealed] = (await seal_ledger(postgres_database, tenant.key)).seals
    assert sealed.new_leaves == 1
