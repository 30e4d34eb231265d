"""Credentials, scopes and tenant isolation on the Attentive dialect."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import select

from optledger.core.auth.scopes import Scope
from optledger.storage.tables import Credential, SubscriptionRecord
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import count_rows, key_with_scopes, subscribe_body

PHONE = "+19148440001"
ROUTES = [
    ("POST", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions?phone=%2B19148440001"),
    ("POST", "/v1/subscriptions/unsubscribe"),
]


async def call(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]) -> int:
    body = subscribe_body(PHONE) if url == "/v1/subscriptions" else {"user": {"phone": PHONE}}
    response = await client.request(
        method, url, json=body if method == "POST" else None, headers=headers
    )
    assert "error" in response.json() or response.is_success
    return response.status_code


@pytest.mark.parametrize(("method", "url"), ROUTES)
async def test_missing_or_bad_credentials_are_401(
    app_client: httpx.AsyncClient, tenant: Tenant, method: str, url: str
) -> None:
    token = tenant.boot.api_key.token
    basic = base64.b64encode(f"{tenant.boot.basic.lookup_id}:{tenant.boot.basic.secret}".encode())
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {token}x"},
        {"Authorization": f"Token {token}"},
        # Legacy tokens and Basic logins open only their own dialects.
        tenant.legacy_headers,
        {"Authorization": f"Basic {basic.decode()}"},
    ):
        assert await call(app_client, method, url, headers) == 401, headers
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0


@pytest.mark.parametrize(("method", "url"), ROUTES)
async def test_missing_scope_is_403(
    app_client: httpx.AsyncClient, tenant: Tenant, method: str, url: str
) -> None:
    headers = await key_with_scopes(tenant, [Scope.ATTRIBUTES_WRITE])
    assert await call(app_client, method, url, headers) == 403
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0


async def test_me_needs_only_a_valid_key(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = await key_with_scopes(tenant, [])
    response = await app_client.get("/v1/me", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["companyName"] == "Acme"
    assert body["companyId"] == tenant.key
    assert set(body) == {
        "applicationName",
        "companyName",
        "companyId",
        "contactEmail",
        "attentiveDomainName",
    }
    assert (await app_client.get("/v1/me")).status_code == 401


async def test_secrets_are_stored_hashed(tenant: Tenant) -> None:
    stored = await tenant.database.inspect(
        lambda session: session.scalars(
            select(Credential).where(Credential.company_id == tenant.company_id)
        )
    )
    hashes = [credential.secret_hash for credential in stored]
    assert len(hashes) == 3
    for secret in (tenant.boot.api_key.secret, tenant.boot.legacy_token.secret):
        assert secret not in hashes


async def test_companies_cannot_touch_each_other(
    client: httpx.AsyncClient, tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    response = await client.post("/v1/subscriptions", json=subscribe_body(PHONE, singleOptIn=True))
    assert response.status_code == 202
    other = await make_tenant(tenant.database)
    # Another company's unit id does not resolve.
    response = await app_client.post(
        "/v1/subscriptions",
        json=subscribe_body(PHONE, unit_id=tenant.unit_id("MARKETING")),
        headers=other.api_headers,
    )
    assert response.status_code == 400
    # Its unsubscribe cannot find, let alone end, this company's subscriber.
    response = await app_client.post(
        "/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}}, headers=other.api_headers
    )
    assert response.status_code == 404
    eligibility = await client.get("/v1/subscriptions", params={"phone": PHONE})
    assert eligibility.json()["subscriptionEligibilities"][0]["eligibility"]["isEligible"] is True
    # The same phone subscribed by the other company is a separate person and record.
    response = await app_client.post(
        "/v1/subscriptions", json=subscribe_body(PHONE), headers=other.api_headers
    )
    assert response.json()["subscriptionResponses"][0]["subscriptionCreationStatus"] == (
        "NEWLY_CREATED"
    )
    assert await count_rows(tenant.database, other.company_id, SubscriptionRecord) == 1
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 1
