"""Proofs of consent: the HTTP and CLI proof of a contact point verifies offline with
only the public key, and no byte of its evidence can change without it failing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from optledger.core.auth.scopes import Scope
from optledger.core.ledger.keys import load_public_key_pem, public_key_pem
from optledger.core.ledger.merkle import leaf_hash
from optledger.core.ledger.proofs import check_proof
from optledger.core.use_cases.ledger import ledger_public_key
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import key_with_scopes, run_optledger, subscribe_active
from tests.support.ledger import LEAF_EVENT_IDS, ids_of, subscribe_many

PHONE = "+19145550177"


async def opted_in_and_out(client: httpx.AsyncClient) -> None:
    """Other numbers first (so the proofs have paths), then PHONE in and out again."""
    await subscribe_many(client, 3)
    assert (await subscribe_active(client, PHONE)).status_code == 202
    out = await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    assert out.status_code == 202, out.text


async def proof_of(client: httpx.AsyncClient, phone: str = PHONE) -> dict[str, Any]:
    response = await client.get("/v1/subscriptions/proof", params={"phone": phone})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    document: dict[str, Any] = response.json()
    return document


def verify_proof(database: Database, folder: Path, document: dict[str, Any]) -> tuple[int, str]:
    """`optledger ledger verify-proof` on the document, with the key printed apart."""
    key = folder / "key.pem"
    key.write_text(run_optledger(database, "ledger", "public-key").stdout)
    proof = folder / "proof.json"
    proof.write_text(json.dumps(document))
    done = run_optledger(database, "ledger", "verify-proof", str(proof), "--public-key", str(key))
    return done.returncode, done.stdout + done.stderr


async def test_a_proof_from_the_api_verifies_offline_and_says_what_it_proves(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await opted_in_and_out(client)
    assert await ids_of(tenant.database, LEAF_EVENT_IDS, tenant.company_id) == []

    document = await proof_of(client)

    # Its events were sealed first, under the one head the proof names.
    sealed = await ids_of(tenant.database, LEAF_EVENT_IDS, tenant.company_id)
    assert {event["event_id"] for event in document["events"]} <= set(sealed)
    [record] = document["records"]
    assert (record["contact_value"], record["status"]) == (PHONE, "ENDED")
    assert [event["type"] for event in document["events"]] == [
        "subscription_created",
        "subscription_ended",
    ]
    assert record["unit"]["name"]
    assert record["credential"]["name"]
    code, said = verify_proof(tenant.database, tmp_path, document)
    assert code == 0, said
    assert f"{PHONE} (MARKETING TEXT" in said
    assert "opted in on " in said
    assert f'through unit {record["unit"]["id"]} "' in said
    assert "; opted out on " in said
    assert "the proof holds" in said


def _flip_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


def _event_content(document: dict[str, Any]) -> None:
    event = document["events"][0]
    event["leaf"] = event["leaf"].replace(PHONE, PHONE[:-1] + "8")


def _event_content_rehashed(document: dict[str, Any]) -> None:
    # The leaf hash recomputed for the edited content: the tree still gives it away.
    event = document["events"][0]
    event["leaf"] = event["leaf"].replace('"type":"MARKETING"', '"type":"TRANSACTIONAL"')
    event["leaf_hash"] = leaf_hash(event["leaf"].encode()).hex()


def _proof_hash(document: dict[str, Any]) -> None:
    path = document["events"][0]["inclusion_proof"]
    path[0] = _flip_hex(path[0])


def _leaf_index(document: dict[str, Any]) -> None:
    document["events"][0]["leaf_index"] += 1


def _head(document: dict[str, Any]) -> None:
    head = json.loads(document["head"]["signed"])
    head["tree_size"] += 1
    document["head"]["signed"] = json.dumps(head, sort_keys=True, separators=(",", ":"))


def _signature(document: dict[str, Any]) -> None:
    signature = bytearray(base64.b64decode(document["head"]["signature"]))
    signature[0] ^= 1
    document["head"]["signature"] = base64.b64encode(signature).decode()


def _record_address(document: dict[str, Any]) -> None:
    document["records"][0]["client_ip"] = "198.51.100.9"


def _record_disclosure(document: dict[str, Any]) -> None:
    # What a brand would want it to say: the text is sealed by its digest.
    document["records"][0]["disclosure_as_shown"] = "Reply STOP to opt out. Terms apply."


def _record_status(document: dict[str, Any]) -> None:
    document["records"][0]["status"] = "ACTIVE"


def _event_dropped(document: dict[str, Any]) -> None:
    # The opt-out left out: the record's state no longer follows from its events.
    document["events"].pop()


@pytest.mark.parametrize(
    "mutate",
    [
        _event_content,
        _event_content_rehashed,
        _proof_hash,
        _leaf_index,
        _head,
        _signature,
        _record_address,
        _record_disclosure,
        _record_status,
        _event_dropped,
    ],
)
async def test_changing_any_of_its_evidence_makes_the_proof_fail(
    tenant: Tenant,
    client: httpx.AsyncClient,
    tmp_path: Path,
    mutate: Callable[[dict[str, Any]], None],
) -> None:
    await opted_in_and_out(client)
    document = await proof_of(client)
    mutate(document)
    code, said = verify_proof(tenant.database, tmp_path, document)
    assert code == 1, said
    assert "the proof does not hold" in said
    assert "opted in on" not in said


async def test_a_proof_checked_with_another_key_fails(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await opted_in_and_out(client)
    document = await proof_of(client)
    proof, key = tmp_path / "proof.json", tmp_path / "other.pem"
    proof.write_text(json.dumps(document))
    key.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    done = run_optledger(
        tenant.database, "ledger", "verify-proof", str(proof), "--public-key", str(key)
    )
    assert done.returncode == 1
    assert "not the key given" in done.stdout


async def test_an_unknown_contact_point_is_404_in_the_attentive_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/subscriptions/proof", params={"email": "nobody@example.com"})
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"message"}


async def test_a_key_without_subscriptions_write_is_refused(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await opted_in_and_out(client)
    headers = await key_with_scopes(tenant, [Scope.MESSAGES_READ.value])
    response = await client.get("/v1/subscriptions/proof", params={"phone": PHONE}, headers=headers)
    assert response.status_code == 403


async def test_another_companys_key_sees_no_such_contact_point(
    database: Database, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await opted_in_and_out(client)
    other = await make_tenant(database)
    response = await client.get(
        "/v1/subscriptions/proof", params={"phone": PHONE}, headers=other.api_headers
    )
    assert response.status_code == 404


async def test_the_cli_writes_the_same_proof_and_exits_1_for_an_unknown_one(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await opted_in_and_out(client)
    output = tmp_path / "cli.json"
    done = run_optledger(
        tenant.database, "ledger", "proof", "--company", tenant.key, "--phone", PHONE,
        "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    from_cli = json.loads(output.read_text())
    from_api = await proof_of(client)
    assert from_cli["events"] == from_api["events"]
    assert from_cli["head"] == from_api["head"]
    assert verify_proof(tenant.database, tmp_path, from_cli)[0] == 0

    unknown = run_optledger(
        tenant.database, "ledger", "proof", "--company", tenant.key, "--phone", "+19145550999"
    )
    assert unknown.returncode == 1
    assert "no subscriber has this phone or email" in unknown.stdout + unknown.stderr


async def test_no_character_of_any_leaf_changes_without_the_proof_failing(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    await opted_in_and_out(client)
    document = await proof_of(client)
    public = load_public_key_pem(await ledger_public_key(tenant.database))
    assert check_proof(document, public).ok
    for event in document["events"]:
        original = event["leaf"]
        for position in range(0, len(original), 7):
            swapped = "x" if original[position] != "x" else "y"
            event["leaf"] = original[:position] + swapped + original[position + 1 :]
            assert not check_proof(document, public).ok, (event["event_id"], position)
        event["leaf"] = original


def test_what_is_no_proof_is_said_to_be_none() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    for document in ({}, [], {"head": {"signed": "{}", "signature": "", "key_id": ""}}):
        check = check_proof(document, public)
        assert not check.ok
        assert check.problems[0].startswith("not a proof of consent")
