"""A company's ledger verified in parts, in worker processes, finds exactly what one
process finds, names a change made in any part, and reads only what the snapshot it
was planned in saw."""

from __future__ import annotations

from typing import Any

import httpx

from optledger.core.ledger.findings import Tally
from optledger.core.ledger.keys import installation_key
from optledger.core.ledger.parts import PartWorkers, Splitting, verify_company
from optledger.core.ledger.verification import company_scope
from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.storage.database import Database
from optledger.storage.repositories.ledger import last_event_id
from optledger.storage.repositories.record_histories import TRANSITION_TYPES
from optledger.storage.snapshots import export_snapshot, snapshot
from tests.conftest import Tenant
from tests.support.helpers import records
from tests.support.ledger import EVENT_IDS, change, event_row, ids_of, put_back, subscribe_many

# Parts of a few events each, so that a small ledger is cut into several.
SMALL_PARTS = Splitting(workers=2, min_part_events=3, max_part_events=6)
ONE_PROCESS = Splitting(workers=1)


def outcome(tally: Tally) -> tuple[Any, ...]:
    """Everything a verification reports, its findings in a stable order."""
    return (
        tally.ok,
        tally.events,
        tally.sealed,
        tally.unsealed,
        tally.redacted,
        tally.seals,
        sorted(
            (str(finding.event_id), str(finding.record_id), finding.kind, finding.detail)
            for finding in tally.findings
        ),
    )


async def test_parts_find_what_one_process_finds(tenant: Tenant, client: httpx.AsyncClient) -> None:
    await subscribe_many(client, 6)
    await seal_ledger(tenant.database, tenant.key)
    await subscribe_many(client, 4, first=6)
    # An event kept out of the second seal, to be put back under it: one that moves
    # no record, so only the ledger tells.
    sealed_next = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    hidden = next(
        row
        for row in [await event_row(tenant.database, event_id) for event_id in sealed_next[-6:]]
        if row["type"] not in TRANSITION_TYPES
    )
    await change(tenant.database, "DELETE FROM events WHERE id = :id", id=hidden["id"])
    await seal_ledger(tenant.database, tenant.key)
    # Events after the last seal wait for the next one: not a finding.
    await subscribe_many(client, 2, first=10)
    ids = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    assert SMALL_PARTS.parts(len(ids)) >= 4

    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert whole.ok
    assert (whole.unsealed > 0, whole.seals) == (True, 2)
    assert outcome(parted) == outcome(whole)

    # A change in each part: the first event edited, one in the middle deleted, the
    # hidden one put back under the seal, and a record changed with no event.
    await change(
        tenant.database, "UPDATE events SET client_ip = '203.0.113.9' WHERE id = :id", id=ids[0]
    )
    middle = len(ids) // 2
    await change(tenant.database, "DELETE FROM events WHERE id = :id", id=ids[middle])
    await put_back(tenant.database, hidden)
    [record, *_] = await records(tenant.database, tenant.company_id, "+19145550011")
    await change(
        tenant.database,
        "UPDATE subscription_records SET status = 'ENDED' WHERE id = :id",
        id=record.id,
    )

    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert outcome(parted) == outcome(whole)
    found = {(finding.kind, finding.event_id) for finding in parted.findings}
    assert {
        ("edited_event", ids[0]),
        ("deleted_event", ids[middle]),
        ("inserted_event", hidden["id"]),
        ("unexplained_record", None),
    } <= found
    assert any(finding.record_id == record.id for finding in parted.findings)


async def test_the_newest_event_deleted_after_its_seal_is_named(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 6)
    await seal_ledger(tenant.database, tenant.key)
    newest = (await ids_of(tenant.database, EVENT_IDS, tenant.company_id))[-1]
    row = await event_row(tenant.database, newest)
    await change(tenant.database, "DELETE FROM events WHERE id = :id", id=newest)
    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert outcome(parted) == outcome(whole)
    assert ("deleted_event", newest) in {(f.kind, f.event_id) for f in parted.findings}
    assert parted.sealed == parted.events + 1
    # Put back, or SQLite would give its id to the next event written, whose leaf
    # could then never be sealed.
    await put_back(tenant.database, row)


async def test_seals_that_end_inside_parts_are_checked_where_they_end(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    # A seal after each subscription: parts fold their leaves in pieces cut at each.
    for number in range(8):
        await subscribe_many(client, 1, first=number)
        await seal_ledger(tenant.database, tenant.key)
    ids = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    assert SMALL_PARTS.parts(len(ids)) >= 4
    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert (whole.ok, whole.seals) == (True, 8)
    assert outcome(parted) == outcome(whole)

    # A leaf forged in the middle: its event no longer matches it, and no seal's root
    # from there on follows from the leaves.
    await change(
        tenant.database,
        "UPDATE ledger_leaves SET leaf_hash = :forged WHERE event_id = :id",
        forged="00" * 32,
        id=ids[len(ids) // 2],
    )
    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert outcome(parted) == outcome(whole)
    kinds = [finding.kind for finding in parted.findings]
    assert kinds.count("edited_event") == 1
    assert 1 < kinds.count("bad_root") < 8


async def test_a_gap_in_the_leaves_between_two_parts_is_found(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 6)
    await seal_ledger(tenant.database, tenant.key)
    count = len(await ids_of(tenant.database, EVENT_IDS, tenant.company_id))
    # The leaf at a cut between parts moved two places on: its index jumps.
    await change(
        tenant.database,
        "UPDATE ledger_leaves SET leaf_index = leaf_index + 100 "
        "WHERE company_id = :company_id AND leaf_index = :index",
        company_id=tenant.company_id,
        index=count // 2,
    )
    whole = await verify_ledger(tenant.database, tenant.key, ONE_PROCESS)
    parted = await verify_ledger(tenant.database, tenant.key, SMALL_PARTS)
    assert outcome(parted) == outcome(whole)
    assert "missing_leaf" in {finding.kind for finding in parted.findings}


async def test_parts_read_what_the_planning_snapshot_saw(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 6)
    await seal_ledger(tenant.database, tenant.key)
    database = tenant.database
    key = await installation_key(database)
    before = len(await ids_of(database, EVENT_IDS, tenant.company_id))
    tally = Tally()
    # The verification's own connection, as `optledger ledger verify` has.
    planner = Database(database.url)
    try:
        async with planner.connection() as connection, snapshot(connection):
            workers = PartWorkers(database.url, await export_snapshot(connection), 2)
            try:
                scope = await company_scope(
                    connection, tenant.company_id, tenant.key, await last_event_id(connection)
                )
                # Written and sealed while the verification is planned: none of it is
                # seen, neither the events nor their leaves and seal.
                await subscribe_many(client, 4, first=6)
                await seal_ledger(database, tenant.key)
                await verify_company(connection, scope, key.public, tally, SMALL_PARTS, workers)
            finally:
                workers.close()
    finally:
        await planner.dispose()
    assert outcome(tally)[:6] == (True, before, before, 0, 0, 1)
    assert (await verify_ledger(database, tenant.key, SMALL_PARTS)).ok
