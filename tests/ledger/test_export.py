"""`optledger export` for an auditor who holds a published checkpoint: each event
carries its leaf hash, and the export ends with the company's latest signed tree
head, the one `optledger ledger checkpoint` publishes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from optledger.core.ledger.merkle import extend, frontier_root
from optledger.storage.sql import Query
from tests.conftest import Tenant
from tests.support.helpers import run_optledger
from tests.support.ledger import subscribe_many

LEAVES = Query(
    """SELECT event_id, leaf_hash FROM ledger_leaves WHERE company_id = :company_id
    ORDER BY leaf_index"""
)


def export(tenant: Tenant, export_format: str) -> list[dict[str, Any]]:
    done = run_optledger(
        tenant.database, "export", "--company", tenant.key, "--format", export_format
    )
    assert done.returncode == 0, done.stderr
    if export_format == "csv":
        return list(csv.DictReader(io.StringIO(done.stdout)))
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_an_export_carries_leaf_hashes_and_ends_with_the_published_checkpoint(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_many(client, 3)
    sealed = run_optledger(tenant.database, "ledger", "seal", "--company", tenant.key)
    assert sealed.returncode == 0, sealed.stderr
    await subscribe_many(client, 1, first=10)  # not sealed yet
    published = json.loads(
        run_optledger(tenant.database, "ledger", "checkpoint", "--company", tenant.key).stdout
    )
    rows = await tenant.database.read(
        lambda connection: connection.fetch(LEAVES, {"company_id": tenant.company_id})
    )
    leaves = {int(row["event_id"]): row["leaf_hash"] for row in rows}

    for export_format in ("jsonl", "csv"):
        entries = export(tenant, export_format)
        *rest, last = entries
        checkpoint = last["checkpoint"]
        if export_format == "csv":
            checkpoint = json.loads(checkpoint)
        assert (last["kind"], last["company"], checkpoint) == ("checkpoint", tenant.key, published)
        events = [entry for entry in rest if entry["kind"] == "event"]
        exported = {int(entry["id"]): entry["leaf_hash"] for entry in events}
        assert {i: h for i, h in exported.items() if h} == leaves
        assert [i for i, h in exported.items() if not h] == [i for i in exported if i > max(leaves)]
        assert len(exported) == len(events) > len(leaves)

        # The auditor's check: the exported leaves, in order, give the signed root.
        hashes = [bytes.fromhex(exported[i]) for i in sorted(leaves)]
        assert frontier_root(extend([], hashes)).hex() == published["root_hash"]
        assert len(hashes) == published["tree_size"]


async def test_an_export_of_a_company_never_sealed_has_no_checkpoint(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_many(client, 1)
    entries = export(tenant, "jsonl")
    assert {entry["kind"] for entry in entries} == {"record", "event"}
    assert {entry["leaf_hash"] for entry in entries if entry["kind"] == "event"} == {""}
