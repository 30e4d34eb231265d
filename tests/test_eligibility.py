"""GET /v1/subscriptions: only ACTIVE records are eligible."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.helpers import subscribe_active

PHONE = "+19148440001"
EMAIL = "someone@example.com"


def eligibility(response: httpx.Response) -> dict[tuple[str, str], bool]:
    return {
        (item["subscription"]["type"], item["subscription"]["channel"]): item["eligibility"][
            "isEligible"
        ]
        for item in response.json()["subscriptionEligibilities"]
    }


async def test_active_is_eligible_and_ended_is_not(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, PHONE, EMAIL)
    await subscribe_active(client, PHONE, sub_type="TRANSACTIONAL")
    await client.post(
        "/v1/subscriptions/unsubscribe",
        json={
            "user": {"phone": PHONE},
            "subscriptions": [{"type": "MARKETING", "channel": "TEXT"}],
        },
    )
    response = await client.get("/v1/subscriptions", params={"phone": PHONE, "email": EMAIL})
    assert response.status_code == 200
    assert eligibility(response) == {
        ("MARKETING", "TEXT"): False,
        ("TRANSACTIONAL", "TEXT"): True,
        ("MARKETING", "EMAIL"): True,
    }
    only_email = await client.get("/v1/subscriptions", params={"email": EMAIL})
    assert eligibility(only_email) == {("MARKETING", "EMAIL"): True}


async def test_resubscribed_is_eligible_again(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, PHONE)
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    await subscribe_active(client, PHONE)
    response = await client.get("/v1/subscriptions", params={"phone": PHONE})
    assert eligibility(response) == {("MARKETING", "TEXT"): True}


async def test_unencoded_plus_in_query_is_understood(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, PHONE)
    response = await client.get(f"/v1/subscriptions?phone={PHONE}")
    assert eligibility(response) == {("MARKETING", "TEXT"): True}


async def test_never_seen_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/subscriptions", params={"phone": "+442071838750"})
    assert response.status_code == 404
    assert "error" in response.json()


@pytest.mark.parametrize("params", [{}, {"phone": "19148440001"}, {"email": "not-an-email"}])
async def test_bad_queries_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/v1/subscriptions", params=params)
    assert response.status_code == 400
    assert isinstance(response.json()["error"]["id"], int)


async def test_other_company_sees_nothing(
    client: httpx.AsyncClient, tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    from tests.conftest import make_tenant

    await subscribe_active(client, PHONE)
    other = await make_tenant(tenant.database)
    response = await app_client.get(
        "/v1/subscriptions", params={"phone": PHONE}, headers=other.api_headers
    )
    assert response.status_code == 404
