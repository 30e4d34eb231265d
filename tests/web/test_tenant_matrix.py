"""Every route of the Attentive, legacy and inbound dialects, walked with the
credentials of another company and with a credential lacking the route's scope:
nothing of the first company is read or written. (The Vibes dialect, whose paths
name the company, has its own matrix.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import Event, Person, SubscriptionRecord, WebhookDelivery
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.dialect_requests import HOOK, PHONE, REQUESTS
from tests.support.helpers import (
    count_rows,
    eligibility,
    key_with_scopes,
    settings_reaching_documentation_network,
    subscribe_active,
)
from tests.support.openapi import documented

# Authenticated by the company's Twilio signature, not by credentials: a request
# with any other company's anything is 403 (tests/inbound/test_sms.py).
SIGNED = {("POST", "/inbound/twilio/{company_key}")}
# Routes any API key may call, and the legacy route, whose tokens have no scopes.
UNSCOPED = {("GET", "/v1/me"), ("POST", "/1/subscribers/unsubscribe")}
# The management API takes operators' tokens, not companies' credentials: its own
# matrix (an operator limited to some companies) is in tests/manage/test_api.py.
ROUTES = sorted(
    route for route in documented() if not route[1].startswith(("/companies/", "/manage/"))
)


@pytest.fixture
def settings() -> Settings:
    return settings_reaching_documentation_network(TEST_SECRET)


def test_the_matrix_covers_every_route() -> None:
    assert set(ROUTES) == set(REQUESTS) | SIGNED


Held = tuple[list[int], Any]


async def _first_company(client: httpx.AsyncClient, tenant: Tenant) -> tuple[dict[str, str], Held]:
    """The subscriber, a privacy request and a webhook of the first company (for the
    paths), and what it holds."""
    hooked = await client.post("/v1/webhooks", json={"url": HOOK, "events": ["sms.subscribed"]})
    assert hooked.status_code == 201, hooked.text
    await subscribe_active(client, PHONE)
    made = await client.post(
        "/v1/privacy/delete-request", json={"subjectEmail": "gone@example.com"}
    )
    assert made.status_code == 200, made.text
    ids = {"key": tenant.key, "request": str(made.json()["id"]), "webhook": hooked.json()["id"]}
    return ids, await _holdings(client, tenant)


async def _holdings(client: httpx.AsyncClient, tenant: Tenant) -> Held:
    counts = [
        await count_rows(tenant.database, tenant.company_id, table)
        for table in (Person, SubscriptionRecord, Event, WebhookDelivery)
    ]
    return counts, (await client.get("/v1/webhooks")).json()


async def _untouched(client: httpx.AsyncClient, tenant: Tenant, held: Held) -> None:
    assert await _holdings(client, tenant) == held
    assert await eligibility(client, PHONE) == {("MARKETING", "TEXT"): True}


@pytest.mark.parametrize(("method", "path"), sorted(REQUESTS))
async def test_another_companys_credentials_reach_nothing_of_the_first(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    database: Database,
    method: str,
    path: str,
) -> None:
    ids, held = await _first_company(client, tenant)
    other = await make_tenant(database)
    url, body = REQUESTS[(method, path)]
    url = url.format(**ids)
    headers = other.legacy_headers if path.startswith("/1/") else other.api_headers
    response = await app_client.request(method, url, json=body, headers=headers)
    assert response.status_code < 500, response.text
    assert tenant.key not in response.text
    if path in ("/inbound/sms/{company_key}",):
        assert response.status_code == 403
    if method == "GET" and path != "/v1/me":
        assert response.status_code == 404 or PHONE not in response.text, response.text
    await _untouched(client, tenant, held)


@pytest.mark.parametrize(("method", "path"), sorted(set(REQUESTS) - UNSCOPED))
async def test_a_credential_without_the_scope_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
) -> None:
    ids, held = await _first_company(client, tenant)
    url, body = REQUESTS[(method, path)]
    url = url.format(**ids)
    headers = await key_with_scopes(tenant, [])
    response = await app_client.request(method, url, json=body, headers=headers)
    assert response.status_code == 403, (method, url, response.text)
    assert set(response.json()) == {"error"}
    await _untouched(client, tenant, held)
