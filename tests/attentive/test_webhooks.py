"""`/v1/webhooks`: registering, reading, changing and removing webhooks, and the rules
on where they may point."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.helpers import IPV6_FORMS_OF_PRIVATE, key_with_scopes
from tests.support.webhook_receiver import Receiver

HOOK = "https://192.0.2.10/consent"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        allow_http_webhooks=True,
        webhook_allowed_networks="192.0.2.0/24",  # type: ignore[arg-type]
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


async def create(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post(
        "/v1/webhooks", json={"url": HOOK, "events": ["sms.subscribed"], **body}
    )


async def test_create_shows_the_signing_key_once(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await create(
        client, url=receiver.url, events=["sms.subscribed", "email.unsubscribed"]
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["url"] == receiver.url
    assert created["events"] == ["sms.subscribed", "email.unsubscribed"]
    assert created["disabledAt"] is None
    key = created["signingKey"]
    assert created["webhookSecret"] == "whsec_" + base64.b64encode(key.encode()).decode()
    # Registration sends nothing to the URL.
    assert receiver.all() == []
    listed = (await client.get("/v1/webhooks")).json()["webhooks"]
    assert [hook["id"] for hook in listed] == [created["id"]]
    one = (await client.get(f"/v1/webhooks/{created['id']}")).json()
    for shown in (listed[0], one):
        assert "signingKey" not in shown
        assert "webhookSecret" not in shown
        assert shown["events"] == created["events"]


@pytest.mark.parametrize(
    "events",
    [["SMS.subscribed"], ["sms.opened"], [], ["sms.subscribed", 5], "sms.subscribed"],
)
async def test_unknown_or_malformed_events_are_400(
    client: httpx.AsyncClient, events: object
) -> None:
    response = await client.post("/v1/webhooks", json={"url": HOOK, "events": events})
    assert response.status_code == 400, response.text
    assert "error" in response.json()
    assert (await client.get("/v1/webhooks")).json() == {"webhooks": []}


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/consent",
        "ftp://hooks.example.com/",
        "hooks.example.com/consent",
        "https://user:pass@hooks.example.com/",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://224.0.0.1/",
        "https://192.168.1.10:8443/",
        "https://100.64.0.1/",
        "http://10.0.0.1/",
        "http://192.0.2.10/",
    ],
)
async def test_urls_into_private_networks_are_refused(client: httpx.AsyncClient, url: str) -> None:
    response = await create(client, url=url)
    assert response.status_code == 400, response.text
    assert (await client.get("/v1/webhooks")).json() == {"webhooks": []}


# IPv6 forms that carry or stand for a non-public IPv4 address, and the other
# special-purpose IPv6 ranges: each is refused, whatever `is_global` says of it.
@pytest.mark.parametrize("url", IPV6_FORMS_OF_PRIVATE)
async def test_ipv6_forms_of_private_addresses_are_refused(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await create(client, url=url)
    assert response.status_code == 400, response.text
    assert "private or reserved" in response.json()["error"]["message"]
    assert (await client.get("/v1/webhooks")).json() == {"webhooks": []}


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::808:808]/",  # NAT64 of a public address (a DNS64 network's answer)
        "https://[::ffff:808:808]/",  # IPv4-mapped public address
        "https://[2606:4700:4700::1111]/",
        "https://8.8.8.8/",
    ],
)
async def test_public_addresses_in_any_form_are_accepted(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await create(client, url=url)
    assert response.status_code == 201, response.text


async def test_allowed_networks_and_loopback_http_when_configured(
    client: httpx.AsyncClient,
) -> None:
    # 192.0.2.0/24 is listed in the settings; http to loopback is allowed in tests.
    for url in ("https://192.0.2.10/hook", "http://127.0.0.1:9/hook", "http://localhost:9/"):
        response = await create(client, url=url)
        assert response.status_code == 201, (url, response.text)


async def test_without_the_setting_loopback_is_refused(database: Database, tenant: Tenant) -> None:
    app = create_app(Settings(secret_key=TEST_SECRET, run_worker_in_process=False), database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=tenant.api_headers
        ) as client:
            for url in (
                "http://127.0.0.1:9/hook",
                "https://127.0.0.1/hook",
                "https://[::1]/",
                "https://localhost/",
            ):
                response = await create(client, url=url)
                assert response.status_code == 400, (url, response.text)


async def test_put_patch_and_delete(client: httpx.AsyncClient) -> None:
    created = (await create(client)).json()
    path = f"/v1/webhooks/{created['id']}"
    replaced = await client.put(
        path, json={"url": HOOK + "/v2", "events": ["email.subscribed"], "disabled": True}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["url"] == HOOK + "/v2"
    assert replaced.json()["events"] == ["email.subscribed"]
    assert replaced.json()["disabledAt"] is not None
    patched = await client.patch(path, json={"disabled": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["disabledAt"] is None
    assert patched.json()["url"] == HOOK + "/v2"
    assert (await client.patch(path, json={"events": ["nope"]})).status_code == 400
    assert (await client.put(path, json={"url": HOOK})).status_code == 400
    assert (await client.get(path)).json()["events"] == ["email.subscribed"]
    deleted = await client.delete(path)
    assert deleted.status_code == 204
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = {"url": HOOK, "events": ["sms.subscribed"]} if method in ("PUT", "PATCH") else None
        response = await client.request(method, path, json=body)
        assert response.status_code == 404, (method, response.text)
    assert (await client.get(path + "/deliveries")).status_code == 404


@pytest.mark.parametrize("webhook_id", ["abc", "99999999999999999999", "-1", "1e3"])
async def test_malformed_ids_are_404(client: httpx.AsyncClient, webhook_id: str) -> None:
    assert (await client.get(f"/v1/webhooks/{webhook_id}")).status_code == 404
    assert (await client.delete(f"/v1/webhooks/{webhook_id}")).status_code == 404


async def test_another_companys_webhook_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    other = await make_tenant(tenant.database, name="Other")
    theirs = await client.post(
        "/v1/webhooks",
        json={"url": HOOK, "events": ["sms.subscribed"]},
        headers=other.api_headers,
    )
    path = f"/v1/webhooks/{theirs.json()['id']}"
    assert (await client.get(path)).status_code == 404
    assert (await client.delete(path)).status_code == 404
    assert (await client.get(path + "/deliveries")).status_code == 404
    assert (await client.get("/v1/webhooks")).json() == {"webhooks": []}
    assert (await client.get(path, headers=other.api_headers)).status_code == 200


async def test_the_scope_is_needed(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = await key_with_scopes(tenant, ["subscriptions:write"])
    response = await client.post(
        "/v1/webhooks", json={"url": HOOK, "events": ["sms.subscribed"]}, headers=headers
    )
    assert response.status_code == 403
    assert (await client.get("/v1/webhooks", headers=headers)).status_code == 403
    anonymous = await client.get("/v1/webhooks", headers={"Authorization": ""})
    assert anonymous.status_code == 401
