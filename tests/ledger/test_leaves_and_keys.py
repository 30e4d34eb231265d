"""The leaf encoding is the same bytes from either database, and the ledger key is one
key per installation that standard tools read."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from optledger.core.ledger.heads import SignedHead
from optledger.core.ledger.keys import derive_key, installation_key, key_id_of, load_public_key_pem
from optledger.core.ledger.leaves import encode_leaf
from optledger.core.use_cases.ledger import ledger_checkpoints, ledger_public_key, seal_ledger
from optledger.storage.database import Database
from optledger.storage.repositories.events import NewEvent, insert_event_returning_id
from optledger.storage.repositories.ledger import NO_BOUND, events_page
from tests.conftest import Tenant

# Two hours east of UTC: the leaf says the same moment in UTC.
MOMENT = datetime(2026, 1, 2, 5, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))


async def test_an_event_encodes_to_the_same_canonical_bytes_on_either_database(
    tenant: Tenant,
) -> None:
    event = NewEvent(
        company_id=tenant.company_id,
        type="subscription_created",
        created_at=MOMENT,
        channel="TEXT",
        contact_value="+19145550100",
        data={"source": "API", "nested": {"z": "é ✓", "a": [1.5, None, True]}},
        client_ip="192.0.2.1",
        user_agent='Mozilla/5.0 "quoted"',
    )
    event_id = await tenant.database.run(
        lambda connection: insert_event_returning_id(connection, event)
    )
    [stored] = await tenant.database.read(
        lambda connection: events_page(connection, tenant.company_id, event_id - 1, NO_BOUND, 1)
    )
    expected = (
        '{"channel":"TEXT","client_ip":"192.0.2.1","company_id":COMPANY,'
        '"contact_value":"+19145550100","created_at":"2026-01-02T03:04:05.678901Z",'
        '"credential_id":null,"data":{"nested":{"a":[1.5,null,true],"z":"é ✓"},'
        '"source":"API"},"id":EVENT,"person_id":null,"record_id":null,'
        '"type":"subscription_created","user_agent":"Mozilla/5.0 \\"quoted\\"","v":1}'
    )
    expected = expected.replace("COMPANY", str(tenant.company_id)).replace("EVENT", str(event_id))
    assert encode_leaf(stored) == expected.encode()


def test_the_key_is_derived_the_same_from_the_same_secret_only() -> None:
    one, again, other = derive_key("secret"), derive_key("secret"), derive_key("another")
    assert one.key_id == again.key_id == key_id_of(again.public) != other.key_id
    assert len(one.key_id) == 16
    assert one.private.sign(b"x") == again.private.sign(b"x")


async def test_a_checkpoint_verifies_with_openssl_and_the_public_key(
    tenant: Tenant, database: Database, tmp_path: Path
) -> None:
    await tenant.database.run(
        lambda connection: insert_event_returning_id(
            connection, NewEvent(company_id=tenant.company_id, type="test", created_at=MOMENT)
        )
    )
    await seal_ledger(database, tenant.key)
    [checkpoint] = await ledger_checkpoints(database, tenant.key)
    pem = await ledger_public_key(database)
    assert load_public_key_pem(pem) is not None
    key = await installation_key(database)
    assert checkpoint["key_id"] == key.key_id
    assert checkpoint["company"] == tenant.key
    assert checkpoint["tree_size"] == 1
    assert json.loads(str(checkpoint["signed"]))["root_hash"] == checkpoint["root_hash"]
    assert SignedHead(
        str(checkpoint["signed"]).encode(), base64.b64decode(str(checkpoint["signature"]))
    ).is_signed_by(load_public_key_pem(pem))

    # As docs/ledger.md tells a third party to check it.
    (tmp_path / "key.pem").write_text(pem)
    (tmp_path / "head").write_bytes(str(checkpoint["signed"]).encode())
    (tmp_path / "head.sig").write_bytes(base64.b64decode(str(checkpoint["signature"])))
    command = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin",
        "-in", "head", "-sigfile", "head.sig",
    ]  # fmt: skip
    verified = await asyncio.to_thread(openssl, command, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    (tmp_path / "head").write_bytes(str(checkpoint["signed"]).replace('"v":1', '"v":2').encode())
    assert (await asyncio.to_thread(openssl, command, tmp_path)).returncode != 0


def openssl(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=folder, capture_output=True, text=True)
