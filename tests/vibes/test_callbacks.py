"""The Vibes-style callbacks API: registering, reading, replacing and removing
callbacks, the rules on where they may point, test events, and `person_added`."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.app import create_app
from optledger.core.webhooks.destinations import DestinationRules
from optledger.core.webhooks.registrations import WebhookStyle, get_webhook
from optledger.delivery.engine import EnginePolicy, deliver_batch
from optledger.delivery.webhook_client import open_webhook_client
from optledger.delivery.webhooks import WebhookJobs
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.repositories.webhooks import delete_webhook, webhooks_of
from optledger.storage.tables import WebhookDelivery
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.helpers import vibes_headers
from tests.support.webhook_receiver import Receiver

# An address the settings allow although it is reserved: registering it needs no DNS.
HOOK = "https://192.0.2.10/vibes"
PHONE = "+19148440161"


@pytest.fixture
def database(module_database: Database) -> Database:
    """This module drains every due delivery: it keeps a database of its own."""
    return module_database


@pytest.fixture
def settings() -> Settings:
    # Plain HTTP to loopback is allowed here, as in local development.
    return Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        allow_http_webhooks=True,
        webhook_allowed_networks="192.0.2.0/24",  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
async def forget_callbacks(tenant: Tenant) -> AsyncIterator[None]:
    """Remove the test's callbacks with their deliveries afterwards: the database is
    shared, and other tests deliver whatever is due to any destination."""
    yield
    found = await tenant.database.read(
        lambda connection: webhooks_of(connection, tenant.company_id, WebhookStyle.VIBES.value)
    )
    for webhook in found:
        await tenant.database.run(
            lambda connection, webhook_id=webhook.id: delete_webhook(
                connection, tenant.company_id, webhook_id
            )
        )


@pytest.fixture
async def vibes(app_client: httpx.AsyncClient, tenant: Tenant) -> httpx.AsyncClient:
    """A client holding the tenant's Vibes (Basic) login."""
    app_client.headers.update(vibes_headers(tenant))
    return app_client


def callbacks(tenant: Tenant) -> str:
    return f"/companies/{tenant.key}/config/callbacks/"


def body(callback_type: str = "subscription_added", url: str = HOOK, **more: Any) -> dict[str, Any]:
    return {"callback_type": callback_type, "destination": {"url": url}, **more}


async def create(vibes: httpx.AsyncClient, tenant: Tenant, **more: Any) -> httpx.Response:
    return await vibes.post(callbacks(tenant), json=body(**more))


async def list_ids(vibes: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    found = await vibes.get(f"/companies/{tenant.key}/mobiledb/subscription_lists")
    assert found.status_code == 200, found.text
    return [item["id"] for item in found.json()]


async def deliveries(tenant: Tenant, webhook_id: int) -> list[WebhookDelivery]:
    async def query(session: AsyncSession) -> list[WebhookDelivery]:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id)
        )
        return list(rows)

    return await tenant.database.inspect(query)


async def test_create_list_get_replace_and_delete(vibes: httpx.AsyncClient, tenant: Tenant) -> None:
    list_id = (await list_ids(vibes, tenant))[0]
    response = await create(
        vibes,
        tenant,
        subscription_added={"list_id": list_id},
        start_date="2017-01-15T15:34Z",
        end_date="2031-01-15T15:34:00+02:00",
    )
    assert response.status_code == 201, response.text
    created = response.json()
    path = f"{callbacks(tenant)}{created['callback_id']}"
    assert created["url"] == path
    assert created["callback_type"] == "subscription_added"
    assert created["destination"] == {
        "url": HOOK,
        "method": "POST",
        "content_type": "application/json",
    }
    assert created["subscription_added"] == {"list_id": list_id}
    assert "subscription_removed" not in created
    assert (created["start_date"], created["end_date"]) == (
        "2017-01-15T15:34:00Z",
        "2031-01-15T13:34:00Z",
    )
    secret = created["secret"]
    assert created["webhook_secret"] == "whsec_" + base64.b64encode(secret.encode()).decode()

    # The secret is shown in the create answer only.
    shown = {key: value for key, value in created.items() if "secret" not in key}
    assert (await vibes.get(callbacks(tenant))).json() == [shown]
    assert (await vibes.get(path)).json() == shown

    replaced = await vibes.put(
        path,
        json={
            "callback_type": "subscription_removed",
            "destination": {"url": HOOK + "/v2", "method": "PUT"},
            "subscription_removed": {"list_id": int(list_id)},
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {
        "callback_id": created["callback_id"],
        "callback_type": "subscription_removed",
        "destination": {"url": HOOK + "/v2", "method": "PUT", "content_type": "application/json"},
        "subscription_removed": {"list_id": list_id},
        "start_date": None,
        "end_date": None,
        "url": path,
    }
    stored = await tenant.database.read(
        lambda connection: get_webhook(
            connection, tenant.company_id, WebhookStyle.VIBES, int(created["callback_id"])
        )
    )
    assert stored.signing_key == secret
    assert stored.events == ["subscription_removed"]

    assert (await vibes.delete(path)).status_code == 204
    assert (await vibes.get(path)).status_code == 404
    assert (await vibes.delete(path)).status_code == 404
    assert (await vibes.get(callbacks(tenant))).json() == []


@pytest.mark.parametrize(
    "callback_type", ["SUBSCRIPTION_ADDED", "sms.subscribed", "person_deleted", "", 5, None]
)
async def test_unknown_callback_types_are_400(
    vibes: httpx.AsyncClient, tenant: Tenant, callback_type: object
) -> None:
    response = await vibes.post(callbacks(tenant), json=body(callback_type))  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"]
    assert (await vibes.get(callbacks(tenant))).json() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/vibes",
        "hooks.example.com/vibes",
        "https://10.0.0.1/x",
        "https://169.254.169.254/",
        "http://10.0.0.1/x",
        "https://[fd00::1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://[2002:a00:1::]/",
        "https://[::7f00:1]/",
        "https://[2001::a00:1]/",
        "https://user:pass@hooks.example.com/",
        # Host names the resolver would refuse with no OSError.
        "https://hooks..example.com/",
        "https://" + "a" * 64 + ".example.com/",
        "https://hooks example.com/",
    ],
)
async def test_urls_into_private_networks_are_400(
    vibes: httpx.AsyncClient, tenant: Tenant, url: str
) -> None:
    response = await create(vibes, tenant, url=url)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"errors"}
    assert (await vibes.get(callbacks(tenant))).json() == []


async def test_http_to_loopback_only_when_the_settings_allow_it(
    vibes: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    allowed = await create(vibes, tenant, url="http://127.0.0.1:9/hook")
    assert allowed.status_code == 201, allowed.text
    app = create_app(Settings(secret_key=TEST_SECRET, run_worker_in_process=False), database)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://testserver",
            headers=vibes_headers(tenant),
        ) as strict,
    ):
        # Without the setting, loopback is refused over HTTPS too.
        for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://[::1]/"):
            refused = await create(strict, tenant, url=url)
            assert refused.status_code == 400, (url, refused.text)
        path = f"{callbacks(tenant)}{allowed.json()['callback_id']}"
        replaced = await strict.put(path, json=body(url="http://127.0.0.1:9/other"))
        assert replaced.status_code == 400, replaced.text


@pytest.mark.parametrize(
    "more",
    [
        {"subscription_added": {"list_id": "999999999"}},
        {"subscription_added": {"list_id": "first"}},
        {"subscription_added": {"list_id": 0}},
        {"subscription_added": {"list_id": 2**70}},
        {"subscription_added": {"list_id": True}},
        {"subscription_added": {}},
        {"subscription_removed": {"list_id": "1"}},
        {"callback_type": "person_added", "subscription_added": {"list_id": "1"}},
        {"start_date": "2020-02-01T00:00Z", "end_date": "2020-01-01T00:00Z"},
        {"start_date": "2020-02-01T00:00Z", "end_date": "2020-02-01T00:00Z"},
        {"start_date": "next tuesday"},
        {"end_date": "0001-01-01T00:00+05:00"},
        {"start_date": 1484494440},
        {"destination": {"url": HOOK, "method": "GET"}},
        {"destination": {"url": HOOK, "content_type": "application/xml"}},
        {"destination": {"url": "https://hooks.example.com/" + "x" * 3000}},
        {"destination": {"method": "POST"}},
        {"destination": HOOK},
    ],
)
async def test_bad_registrations_are_400(
    vibes: httpx.AsyncClient, tenant: Tenant, more: dict[str, Any]
) -> None:
    response = await vibes.post(callbacks(tenant), json={**body(), **more})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"]
    assert (await vibes.get(callbacks(tenant))).json() == []


async def test_a_filter_on_another_companys_list_is_400(
    vibes: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await make_tenant(database)
    found = await vibes.get(
        f"/companies/{other.key}/mobiledb/subscription_lists", headers=vibes_headers(other)
    )
    their_ids = [item["id"] for item in found.json()]
    assert their_ids
    assert not set(their_ids) & set(await list_ids(vibes, tenant))
    response = await create(vibes, tenant, subscription_added={"list_id": their_ids[0]})
    assert response.status_code == 400, response.text


async def test_another_companys_callback_is_not_found(
    vibes: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await make_tenant(database)
    headers = vibes_headers(other)
    theirs = (await vibes.post(callbacks(other), json=body("person_added"), headers=headers)).json()
    path = f"{callbacks(tenant)}{theirs['callback_id']}"
    assert (await vibes.get(path)).status_code == 404
    assert (await vibes.put(path, json=body())).status_code == 404
    assert (await vibes.delete(path)).status_code == 404
    test = await vibes.post(
        f"/companies/{tenant.key}/config/callback_events/test",
        json={"callback_id": theirs["callback_id"]},
    )
    assert test.status_code == 404
    # Their path with our login is 403; their callback is still there.
    assert (await vibes.get(f"{callbacks(other)}{theirs['callback_id']}")).status_code == 403
    assert len((await vibes.get(callbacks(other), headers=headers)).json()) == 1
    for odd in ("abc", "0", "99999999999999999999", "١٢", "-1"):
        response = await vibes.get(f"{callbacks(tenant)}{odd}")
        assert response.status_code == 404, (odd, response.text)
        assert response.json()["errors"][0]["code"] == "NOT_FOUND"


async def test_a_test_event_queues_one_delivery(vibes: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (
        await create(vibes, tenant, start_date="2001-01-01T00:00Z", end_date="2001-02-01T00:00Z")
    ).json()
    test_url = f"/companies/{tenant.key}/config/callback_events/test"
    for callback_id in (created["callback_id"], int(created["callback_id"])):
        response = await vibes.post(test_url, json={"callback_id": callback_id})
        assert response.status_code == 202, response.text
        answer = response.json()
        assert answer["callback_id"] == created["callback_id"]
        assert answer["event_id"].startswith("evt_")
    queued = await deliveries(tenant, int(created["callback_id"]))
    assert [(row.name, row.status) for row in queued] == [("subscription_added", "pending")] * 2
    assert f"evt_{queued[-1].event_id}" == answer["event_id"]
    for unknown in ("123456789", 123456789, "nope"):
        missing = await vibes.post(test_url, json={"callback_id": unknown})
        assert missing.status_code == 404, missing.text
    for bad in ({}, {"callback_id": None}, {"callback_id": 1.5}, {"callback_id": "1" * 40}):
        assert (await vibes.post(test_url, json=bad)).status_code == 400, bad


async def test_person_added_fans_out_when_a_person_is_created(
    vibes: httpx.AsyncClient, tenant: Tenant
) -> None:
    added = (await create(vibes, tenant, callback_type="person_added")).json()
    subscribed = (await create(vibes, tenant)).json()
    persons = f"/companies/{tenant.key}/mobiledb/persons"
    first = await vibes.post(persons, json={"mobile_phone": {"mdn": PHONE}})
    assert first.status_code == 201, first.text
    # The same person again is an update, not a new person.
    again = await vibes.post(persons, json={"mobile_phone": {"mdn": PHONE}, "custom_fields": {}})
    assert again.status_code == 200, again.text
    second = await vibes.post(persons, json={"external_person_id": "crm-77"})
    assert second.status_code == 201, second.text
    assert [row.name for row in await deliveries(tenant, int(added["callback_id"]))] == [
        "person_added",
        "person_added",
    ]
    assert await deliveries(tenant, int(subscribed["callback_id"])) == []


async def test_deliveries_reach_the_destination_in_the_vibes_shape(
    vibes: httpx.AsyncClient, tenant: Tenant
) -> None:
    # A receiver of its own: the shared message sink expects message payloads.
    receiver = Receiver().start()
    url = f"{receiver.url}/{tenant.key}"
    added = (await create(vibes, tenant, callback_type="person_added", url=url)).json()
    test = await vibes.post(
        f"/companies/{tenant.key}/config/callback_events/test",
        json={"callback_id": added["callback_id"]},
    )
    person = (
        await vibes.post(
            f"/companies/{tenant.key}/mobiledb/persons", json={"mobile_phone": {"mdn": PHONE}}
        )
    ).json()
    rules = DestinationRules(allow_http_loopback=True)
    async with open_webhook_client(rules, timeout_seconds=5) as client:
        jobs = WebhookJobs(client)
        # Other tests' deliveries are due too: a few batches, not until none is left.
        for _ in range(5):
            await deliver_batch(tenant.database, jobs, EnginePolicy(backoff_base_seconds=0))
            sent = await deliveries(tenant, int(added["callback_id"]))
            if all(row.status == "delivered" for row in sent):
                break
    receiver.stop()
    got = {
        r.payload["event_id"]: r.payload
        for r in receiver.delivered()
        if r.payload.get("callback_type") == "person_added"
    }
    assert got[test.json()["event_id"]]["test"] is True
    [person_event] = [
        payload
        for payload in got.values()
        if payload.get("person", {}).get("person_key") == person["person_key"]
    ]
    assert person_event["person"]["mobile_phone"] == {"mdn": PHONE}
    assert [row.status for row in await deliveries(tenant, int(added["callback_id"]))] == [
        "delivered",
        "delivered",
    ]
