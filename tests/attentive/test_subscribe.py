"""POST /v1/subscriptions through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.tables import Event, SubscriptionRecord
from tests.conftest import Tenant
from tests.support.helpers import count_rows, messages, records, statuses, subscribe, subscribe_body

CREATION = "subscriptionCreationStatus"


@pytest.mark.parametrize("phone", ["+19148440001", "+442071838750", "+551155256325"])
async def test_seed_valid_phones_are_accepted(
    client: httpx.AsyncClient, tenant: Tenant, phone: str
) -> None:
    response = await subscribe(client, phone)
    assert response.status_code == 202, response.text
    assert response.json()["user"]["phone"] == phone
    assert statuses(response, CREATION) == {("MARKETING", "TEXT"): "NEWLY_CREATED"}
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert record.channel == "TEXT"
    assert record.type == "MARKETING"


@pytest.mark.parametrize(
    "phone", ["19148440001", "+1---914---844---0001", "1 () 914 844 0001", "+1914844000", "+"]
)
async def test_seed_invalid_phones_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, tenant: Tenant, phone: str
) -> None:
    response = await subscribe(client, phone)
    assert response.status_code == 400
    error = response.json()["error"]
    assert isinstance(error["id"], int)
    assert "phone" in error["message"]
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0
    assert await count_rows(tenant.database, tenant.company_id, Event) == 0


async def test_repeat_subscribe_is_previously_created_recorded_and_messaged(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Single opt-in: a repeat of an ACTIVE subscription is "already subscribed".
    first = await subscribe(client, "+19148440001", "Someone@Example.COM", singleOptIn=True)
    assert statuses(first, CREATION) == {
        ("MARKETING", "TEXT"): "NEWLY_CREATED",
        ("MARKETING", "EMAIL"): "NEWLY_CREATED",
    }
    again = await subscribe(client, "+19148440001", "Someone@Example.COM", singleOptIn=True)
    assert statuses(again, CREATION) == {
        ("MARKETING", "TEXT"): "PREVIOUSLY_CREATED",
        ("MARKETING", "EMAIL"): "PREVIOUSLY_CREATED",
    }
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 2
    repeats = await count_rows(
        tenant.database, tenant.company_id, Event, type="subscription_repeated"
    )
    assert repeats == 2
    kinds = [m.kind for m in await messages(tenant.database, tenant.company_id, "+19148440001")]
    assert kinds.count("ALREADY_SUBSCRIBED") == 1
    # Email is stored normalised: trimmed, domain lower-cased.
    assert await records(tenant.database, tenant.company_id, "Someone@example.com")


async def test_unit_by_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit_id = tenant.unit_id("TRANSACTIONAL")
    response = await subscribe(client, "+19148440001", unit_id=unit_id)
    assert response.status_code == 202
    assert statuses(response, CREATION) == {("TRANSACTIONAL", "TEXT"): "NEWLY_CREATED"}
    [record] = await records(tenant.database, tenant.company_id, "+19148440001")
    assert record.unit_id == int(unit_id)


async def test_unknown_unit_id_names_it(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for unknown in ("999999", "not-a-number"):
        response = await subscribe(client, "+19148440001", unit_id=unknown)
        assert response.status_code == 400
        assert unknown in response.json()["error"]["message"]
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0


async def test_locale_or_type_alone_is_refused(client: httpx.AsyncClient) -> None:
    body = subscribe_body("+19148440001")
    del body["subscriptionType"]
    assert (await client.post("/v1/subscriptions", json=body)).status_code == 400
    body = subscribe_body("+19148440001")
    del body["locale"]
    assert (await client.post("/v1/subscriptions", json=body)).status_code == 400
