"""`optledger ledger seal` and `verify`: a sealed ledger verifies, and each change made
behind the product's back (an event edited, deleted or inserted, a seal's signature or
chain broken) is found and named."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from optledger.core.ledger.heads import SignedHead
from optledger.core.ledger.keys import load_public_key_pem
from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.storage.database import Database
from tests.conftest import Tenant
from tests.support.helpers import run_optledger
from tests.support.ledger import (
    EVENT_IDS,
    LEAF_EVENT_IDS,
    SEAL_IDS,
    change,
    event_row,
    ids_of,
    put_back,
    subscribe_many,
)


def verify_json(tenant: Tenant) -> tuple[int, dict[str, Any]]:
    done = run_optledger(tenant.database, "ledger", "verify", "--company", tenant.key, "--json")
    return done.returncode, json.loads(done.stdout)


def kinds(report: dict[str, Any]) -> set[tuple[str, int | None]]:
    return {(finding["kind"], finding["event_id"]) for finding in report["findings"]}


async def test_a_sealed_ledger_verifies_and_later_events_wait_for_the_next_seal(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 3)
    sealed = run_optledger(tenant.database, "ledger", "seal", "--company", tenant.key)
    assert sealed.returncode == 0, sealed.stderr
    events = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    assert f"{len(events)} events sealed" in sealed.stdout

    code, report = verify_json(tenant)
    assert (code, report["ok"], report["findings"]) == (0, True, [])
    assert report["events"] == report["sealed"] == len(events) > 0

    # The head to publish, and the key that checks it.
    head = json.loads(
        run_optledger(tenant.database, "ledger", "checkpoint", "--company", tenant.key).stdout
    )
    assert (head["company"], head["tree_size"], head["previous_head_hash"]) == (
        tenant.key,
        len(events),
        None,
    )
    pem = run_optledger(tenant.database, "ledger", "public-key").stdout
    signed = SignedHead(head["signed"].encode(), base64.b64decode(head["signature"]))
    assert signed.is_signed_by(load_public_key_pem(pem))
    assert signed.head().root_hash.hex() == head["root_hash"]
    assert (report["unsealed"], report["redacted"]) == (0, 0)

    await subscribe_many(client, 1, first=10)
    code, report = verify_json(tenant)
    assert (code, report["ok"]) == (0, True)
    assert report["unsealed"] == len(
        await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    ) - len(events)

    # Sealing again takes only what is new, once.
    assert (await seal_ledger(tenant.database, tenant.key)).seals[0].tree_size == report["events"]
    assert (
        await seal_ledger(tenant.database, tenant.key)
        == type(await seal_ledger(tenant.database, tenant.key))()
    )
    leaves = await ids_of(tenant.database, LEAF_EVENT_IDS, tenant.company_id)
    assert leaves == await ids_of(tenant.database, EVENT_IDS, tenant.company_id)


def records_of(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The unexplained-record findings that taking `events` away leaves."""
    return [
        ("unexplained_record", event["record_id"])
        for event in events
        if event["type"] == "subscription_created"
    ]


async def test_edited_deleted_and_inserted_events_are_each_found_by_id(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 4)
    ids = await ids_of(tenant.database, EVENT_IDS, tenant.company_id)
    assert len(ids) >= 4
    # An event that will appear under the seal, never having been sealed.
    hidden = await event_row(tenant.database, ids[1])
    await change(tenant.database, "DELETE FROM events WHERE id = :id", id=ids[1])
    await seal_ledger(tenant.database, tenant.key)
    # The seals hold; only the record the hidden event opened (if any) is unexplained.
    findings = (await verify_ledger(tenant.database, tenant.key)).findings
    assert [(f.kind, f.record_id) for f in findings] == records_of([hidden])

    await change(
        tenant.database, "UPDATE events SET client_ip = '203.0.113.9' WHERE id = :id", id=ids[2]
    )
    deleted = await event_row(tenant.database, ids[3])
    await change(tenant.database, "DELETE FROM events WHERE id = :id", id=ids[3])
    await put_back(tenant.database, hidden)

    code, report = verify_json(tenant)
    assert (code, report["ok"]) == (1, False)
    assert kinds(report) == {
        ("inserted_event", ids[1]),
        ("edited_event", ids[2]),
        ("deleted_event", ids[3]),
    } | {(kind, None) for kind, _ in records_of([deleted])}
    text = run_optledger(tenant.database, "ledger", "verify", "--company", tenant.key)
    assert text.returncode == 1
    assert f"edited_event {tenant.key} event {ids[2]}" in text.stdout


async def test_a_forged_signature_and_a_removed_seal_are_found(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await subscribe_many(client, 1)
    await seal_ledger(tenant.database, tenant.key)
    await subscribe_many(client, 1, first=1)
    await seal_ledger(tenant.database, tenant.key)
    first, second = await ids_of(tenant.database, SEAL_IDS, tenant.company_id)
    assert (await verify_ledger(tenant.database, tenant.key)).ok

    # A head rewritten to say something else no longer carries the key's signature.
    await change(
        tenant.database,
        "UPDATE ledger_seals SET head = REPLACE(head, '\"v\":1', '\"v\":1 ') WHERE id = :id",
        id=second,
    )
    tally = await verify_ledger(tenant.database, tenant.key)
    assert [finding.kind for finding in tally.findings] == ["bad_signature"]

    await change(tenant.database, "DELETE FROM ledger_seals WHERE id = :id", id=first)
    found = {
        finding.kind for finding in (await verify_ledger(tenant.database, tenant.key)).findings
    }
    assert "broken_chain" in found


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        # Leaves forged to match nothing: no event matches, and no seal's root follows.
        ("ledger_leaves", "leaf_hash", {"edited_event", "bad_root"}),
        # A seal's row that differs from what was signed.
        ("ledger_seals", "root_hash", {"bad_seal"}),
    ],
)
async def test_rewriting_the_ledger_itself_is_found(
    tenant: Tenant, client: httpx.AsyncClient, table: str, column: str, expected: set[str]
) -> None:
    await subscribe_many(client, 2)
    await seal_ledger(tenant.database, tenant.key)
    await change(
        tenant.database,
        f"UPDATE {table} SET {column} = :forged WHERE company_id = :company_id",
        forged="00" * 32,
        company_id=tenant.company_id,
    )
    tally = await verify_ledger(tenant.database, tenant.key)
    assert {finding.kind for finding in tally.findings} == expected


async def test_verify_names_an_unknown_company(database: Database) -> None:
    done = run_optledger(database, "ledger", "verify", "--company", "no-such-company")
    assert done.returncode == 1
    assert "does not exist" in done.stdout
