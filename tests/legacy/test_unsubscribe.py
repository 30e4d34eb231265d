"""POST /1/subscribers/unsubscribe: the legacy API, its own tokens, common number formats."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from tests.conftest import Outbox, Tenant
from tests.support.helpers import (
    eligibility,
    events,
    records,
    run_optledger,
    subscribe,
    subscribe_active,
)
from tests.support.sink import HttpSink

URL = "/1/subscribers/unsubscribe"
PHONE = "+19148440081"


async def legacy(
    client: httpx.AsyncClient, tenant: Tenant, body: object, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or tenant.boot.legacy_token.token}"}
    return await client.post(URL, json=body, headers=headers)


@pytest.mark.parametrize(
    "phone", ["(914) 844-0081", "914-844-0081", "+1 914 844 0081", "19148440081", PHONE]
)
async def test_ends_every_text_subscription_of_a_number_in_any_common_format(
    client: httpx.AsyncClient, tenant: Tenant, phone: str
) -> None:
    await subscribe_active(client, PHONE, "legacy@example.com")
    await subscribe_active(client, PHONE, sub_type="TRANSACTIONAL")
    response = await legacy(client, tenant, {"phone": phone, "sendOptOutMessage": False})
    assert (response.status_code, response.json()) == (200, {})
    ended = await records(tenant.database, tenant.company_id, PHONE)
    assert {(r.type, r.status, r.opt_out_reason) for r in ended} == {
        ("MARKETING", "ENDED", "api_opt_out"),
        ("TRANSACTIONAL", "ENDED", "api_opt_out"),
    }
    # The email keeps its consent: only TEXT subscriptions end.
    email = await client.get("/v1/subscriptions", params={"email": "legacy@example.com"})
    [item] = email.json()["subscriptionEligibilities"]
    assert item["eligibility"]["isEligible"] is True
    assert await eligibility(client, PHONE) == {
        ("MARKETING", "TEXT"): False,
        ("TRANSACTIONAL", "TEXT"): False,
    }


async def test_the_confirmation_is_sent_only_when_asked(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    other = "+19148440082"
    await subscribe_active(client, PHONE)
    await subscribe_active(client, other)
    await outbox.deliver()
    await legacy(client, tenant, {"phone": PHONE, "sendOptOutMessage": "false"})
    await legacy(client, tenant, {"phone": other, "sendOptOutMessage": "true"})
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(PHONE, tenant.key)] == ["WELCOME"]
    assert [p["kind"] for p in http_sink.to(other, tenant.key)] == [
        "WELCOME",
        "OPT_OUT_CONFIRMATION",
    ]


async def test_already_opted_out_is_409_and_sends_nothing(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await subscribe_active(client, PHONE)
    assert (
        await legacy(client, tenant, {"phone": PHONE, "sendOptOutMessage": False})
    ).status_code == 200
    await outbox.deliver()
    again = await legacy(client, tenant, {"phone": PHONE, "sendOptOutMessage": True})
    assert again.status_code == 409
    assert "error" in again.json()
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(PHONE, tenant.key)] == ["WELCOME"]
    assert len(await events(tenant.database, tenant.company_id, "unsubscribe_repeated")) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "12345", "sendOptOutMessage": True},
        {"phone": PHONE},
        {"sendOptOutMessage": True},
        {"phone": PHONE, "sendOptOutMessage": "yes"},
        {"phone": PHONE, "sendOptOutMessage": 1},
        {"phone": 19148440081, "sendOptOutMessage": True},
        [],
    ],
)
async def test_bad_requests_are_400_and_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, body: object
) -> None:
    await subscribe_active(client, PHONE)
    response = await legacy(client, tenant, body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"id", "message"}
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"


async def test_no_subscriber_with_that_number_is_400(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await legacy(client, tenant, {"phone": "555-555-5555", "sendOptOutMessage": True})
    assert response.status_code == 400
    assert "+15555555555" in response.json()["error"]["message"]
    # A number known only as an identifier, with no subscription, is no subscriber either.
    await client.post("/v2/user/attributes", json={"identifiers": {"phone": PHONE}})
    assert (
        await legacy(client, tenant, {"phone": PHONE, "sendOptOutMessage": True})
    ).status_code == 400
    assert await events(tenant.database, tenant.company_id, "unsubscribe_repeated") == []


async def test_legacy_tokens_and_api_keys_are_separate_both_ways(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe(client, PHONE)
    body = {"phone": PHONE, "sendOptOutMessage": False}
    with_api_key = await legacy(app_client, tenant, body, token=tenant.boot.api_key.token)
    assert with_api_key.status_code == 401
    assert (await legacy(app_client, tenant, body, token="oll_x.y")).status_code == 401
    on_v1 = await app_client.get(
        "/v1/subscriptions", params={"phone": PHONE}, headers=tenant.legacy_headers
    )
    assert on_v1.status_code == 401


def optledger(tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    return run_optledger(tenant.database, *args)


async def test_the_cli_mints_and_revokes_legacy_tokens(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    minted = optledger(
        tenant, "credentials", "create", "--company", tenant.key, "--kind", "legacy_token",
        "--name", "crm", "--json",
    )  # fmt: skip
    assert minted.returncode == 0, minted.stdout + minted.stderr
    token = json_field(minted.stdout, "token")
    body = {"phone": PHONE, "sendOptOutMessage": False}
    assert (await legacy(app_client, tenant, body, token=token)).status_code == 200
    revoked = optledger(tenant, "credentials", "revoke", token.split(".")[0])
    assert revoked.returncode == 0, revoked.stdout
    # A fresh process (no credential cache) refuses it at once.
    check = optledger(tenant, "credentials", "revoke", token.split(".")[0])
    assert check.returncode == 1
    assert "no live credential" in check.stdout


def json_field(output: str, name: str) -> str:
    value: str = json.loads(output)[name]
    return value
