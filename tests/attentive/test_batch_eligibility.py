"""POST /v1/subscriptions/eligibility: many checks in one request, in request order."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import subscribe, subscribe_active

ACTIVE_PHONE = "+19148440051"
ENDED_PHONE = "+19148440052"
PENDING_PHONE = "+19148440053"
EMAIL = "batch@example.com"
URL = "/v1/subscriptions/eligibility"


def eligible(item: dict[str, object]) -> dict[tuple[str, str], bool]:
    return {
        (e["subscription"]["type"], e["subscription"]["channel"]): e["eligibility"]["isEligible"]
        for e in item["subscriptionEligibilities"]  # type: ignore[attr-defined]
    }


async def test_answers_each_user_in_request_order(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, ACTIVE_PHONE, EMAIL)
    await subscribe_active(client, ENDED_PHONE)
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": ENDED_PHONE}})
    await subscribe(client, PENDING_PHONE)
    users = [
        {"phone": ENDED_PHONE},
        {"email": EMAIL},
        {"phone": "+442071838750"},
        {"phone": "914-844-0001"},
        {"phone": ACTIVE_PHONE},
        {"phone": PENDING_PHONE},
    ]
    response = await client.post(URL, json={"users": users})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["user"] for item in results] == users
    assert [eligible(item) for item in results] == [
        {("MARKETING", "TEXT"): False},
        {("MARKETING", "EMAIL"): True},
        {},
        {},
        {("MARKETING", "TEXT"): True},
        {("MARKETING", "TEXT"): False},
    ]
    assert [("error" in item) for item in results] == [False, False, False, True, False, False]
    assert "E.164" in results[3]["error"]


async def test_the_same_answer_as_the_single_check(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, ACTIVE_PHONE, EMAIL)
    await subscribe_active(client, ACTIVE_PHONE, sub_type="TRANSACTIONAL")
    single = await client.get("/v1/subscriptions", params={"phone": ACTIVE_PHONE})
    batch = await client.post(URL, json={"users": [{"phone": ACTIVE_PHONE}]})
    [item] = batch.json()["results"]
    assert item["subscriptionEligibilities"] == single.json()["subscriptionEligibilities"]


async def test_another_companys_subscribers_are_unknown(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, database: Database
) -> None:
    await subscribe_active(client, ACTIVE_PHONE)
    other = await make_tenant(database)
    response = await app_client.post(
        URL, json={"users": [{"phone": ACTIVE_PHONE}]}, headers=other.api_headers
    )
    assert response.json()["results"][0]["subscriptionEligibilities"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"users": []},
        {"users": [{"phone": "+19148440001"}] * 1001},
        {"users": [{"phone": 19148440001}]},
        {"users": "+19148440001"},
        {},
    ],
)
async def test_bad_batches_are_400(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post(URL, json=body)
    assert response.status_code == 400
    assert "error" in response.json()


async def test_a_thousand_users_is_the_limit(client: httpx.AsyncClient) -> None:
    users = [{"phone": f"+1914844{index:04d}"} for index in range(1000)]
    response = await client.post(URL, json={"users": users})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1000


async def test_needs_the_subscriptions_scope(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await app_client.post(URL, json={"users": [{"phone": ACTIVE_PHONE}]})
    assert response.status_code == 401


async def test_marked_as_an_extension_in_openapi(app_client: httpx.AsyncClient) -> None:
    schema = (await app_client.get("/openapi.json")).json()
    assert schema["paths"][URL]["post"]["x-optledger-extension"] is True
