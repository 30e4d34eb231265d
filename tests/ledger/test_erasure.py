"""A privacy erasure in the ledger: the events lose the subject's personal content,
their leaves stay, and `verify` counts them as redacted by the request, sealed before
the erasure or after it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optledger.core.privacy.event_redaction import REDACTED_VALUE, erased_data
from optledger.storage.sql import Query, as_dict
from tests.conftest import Tenant
from tests.support.helpers import run_optledger, upsert_user

PHONE = "+19148440001"
EMAIL = "ann@example.com"
BROWSER = "AnnsPhone/1.0 (personal)"
COLOR = "chartreuse"
DELETE = "/v1/privacy/delete-request"
EVENTS = Query("SELECT * FROM events WHERE company_id = :company_id ORDER BY id")


def verify_json(tenant: Tenant) -> tuple[int, dict[str, Any]]:
    done = run_optledger(tenant.database, "ledger", "verify", "--company", tenant.key, "--json")
    return done.returncode, json.loads(done.stdout)


def seal(tenant: Tenant) -> None:
    done = run_optledger(tenant.database, "ledger", "seal", "--company", tenant.key)
    assert done.returncode == 0, done.stderr


async def event_rows(tenant: Tenant) -> list[dict[str, Any]]:
    rows = await tenant.database.read(
        lambda connection: connection.fetch(EVENTS, {"company_id": tenant.company_id})
    )
    return [as_dict(row) for row in rows]


async def upsert_ann(client: httpx.AsyncClient, tenant: Tenant, attributes: dict[str, Any]) -> None:
    unit = tenant.unit_id("MARKETING")
    response = await upsert_user(
        client,
        {"phone": PHONE, "email": EMAIL, "clientUserId": "cu-1"},
        attributes,
        [{"type": "MARKETING", "channel": "TEXT", "signUpSourceId": unit}],
        headers={"User-Agent": BROWSER},
    )
    assert response.status_code == 202, response.text


async def test_an_erasure_leaves_no_personal_content_in_events_and_verify_counts_redactions(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await upsert_ann(client, tenant, {"firstName": "Ann"})
    seal(tenant)
    # Events after the last seal: erased before they are sealed.
    await upsert_ann(client, tenant, {"favorite color": COLOR})
    before = await event_rows(tenant)
    assert any(row["user_agent"] == BROWSER for row in before)

    response = await client.post(DELETE, json={"subjectPhone": PHONE})
    assert response.status_code == 200, response.text
    request_id = int(response.json()["id"])

    after = await event_rows(tenant)
    text = repr(after)
    for personal in (PHONE, EMAIL, BROWSER, COLOR, "Ann"):
        assert personal not in text
    subjects = {row["id"] for row in before}
    for row in after:
        if row["id"] in subjects:
            assert (row["client_ip"], row["user_agent"]) == (None, None)
            assert row["contact_value"] is None or row["contact_value"].startswith("erased:")
    attributes = [row["data"] for row in after if row["type"] == "attributes_set"]
    data = [json.loads(d) if isinstance(d, str) else d for d in attributes]
    # What was set is still said; the values are not.
    assert {"favorite color": "[erased]"} in [d["attributes"] for d in data]

    code, report = verify_json(tenant)
    assert (code, report["ok"], report["findings"]) == (0, True, []), report
    assert report["redacted"] >= 1
    assert {r["erasure_request"] for r in report["redactions"]} == {request_id}
    assert report["unsealed"] > 0

    # Events erased before their seal are sealed as they were: all redacted, none edited.
    seal(tenant)
    code, report = verify_json(tenant)
    assert (code, report["ok"], report["unsealed"]) == (0, True, 0), report
    redacted = {r["event_id"] for r in report["redactions"]}
    assert redacted >= subjects
    assert report["redacted"] == len(redacted)


@pytest.mark.parametrize(
    "forgery",
    [
        # A redaction that does not keep the event's leaf excuses nothing.
        "UPDATE ledger_redactions SET leaf_hash = :zeros WHERE event_id = :id",
        # Nor does one for an event changed after its erasure.
        "UPDATE events SET type = 'subscription_ended' WHERE id = :id",
    ],
)
async def test_a_redacted_event_changed_behind_the_erasure_is_found(
    client: httpx.AsyncClient, tenant: Tenant, forgery: str
) -> None:
    await upsert_ann(client, tenant, {"firstName": "Ann"})
    response = await client.post(DELETE, json={"subjectPhone": PHONE})
    assert response.status_code == 200, response.text
    seal(tenant)
    assert verify_json(tenant)[0] == 0
    first = min(row["id"] for row in await event_rows(tenant))

    async def forge(connection: Any) -> None:
        await connection.execute(Query(forgery), {"zeros": "0" * 64, "id": first})

    await tenant.database.run(forge)
    code, report = verify_json(tenant)
    assert code == 1
    assert ("edited_event", first) in {(f["kind"], f["event_id"]) for f in report["findings"]}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([PHONE, EMAIL, "api", "x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@settings(deadline=None)
@given(data=st.dictionaries(st.sampled_from(["source", "records", "attributes"]), JSON_VALUES))
def test_erased_data_keeps_no_contact_point_and_no_attribute_value(data: dict[str, Any]) -> None:
    redactions = {PHONE: "erased:1", EMAIL: "erased:2"}
    erased = erased_data(data, redactions)
    assert PHONE not in repr(erased)
    assert EMAIL not in repr(erased)
    assert erased.keys() == data.keys()
    if isinstance(data.get("attributes"), dict):
        assert erased["attributes"] == dict.fromkeys(data["attributes"], REDACTED_VALUE)
    # What names nobody stays as it was.
    if "source" in data and PHONE not in repr(data["source"]) and EMAIL not in repr(data["source"]):
        assert erased["source"] == data["source"]
