"""GET /v1/subscriptions: only ACTIVE records are eligible."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.support.helpers import key_with_scopes, subscribe_active

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


@pytest.mark.parametrize(
    "query",
    [
        {"phone": PHONE},
        {"phone": PHONE, "email": EMAIL},
        {"phone": "+442071838750"},
        {"phone": "914-844-0001"},
        {"phone": "+1" + "9" * 40},
        {},
        {"phone": PHONE, "extra": "x"},
    ],
)
async def test_the_fast_lane_answers_as_the_route_does(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant, query: dict[str, str]
) -> None:
    # The first request with a key goes through the framework's route and caches the
    # key; later ones take the lane. Both must say the same, errors included.
    await subscribe_active(client, PHONE, EMAIL)
    new_key = await key_with_scopes(tenant, ["subscriptions:write"])
    first = await app_client.get("/v1/subscriptions", params=query, headers=new_key)
    second = await app_client.get("/v1/subscriptions", params=query, headers=new_key)
    assert (second.status_code, second.headers["content-type"]) == (
        first.status_code,
        first.headers["content-type"],
    )
    if first.is_success:
        assert second.json() == first.json()
    else:
        assert second.json()["error"]["message"] == first.json()["error"]["message"]


async def test_a_cached_key_without_the_scope_is_still_refused(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    limited = await key_with_scopes(tenant, ["attributes:write"])
    for _ in range(2):
        response = await app_client.get(
            "/v1/subscriptions", params={"phone": PHONE}, headers=limited
        )
        assert response.status_code == 403
