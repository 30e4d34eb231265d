"""Every Vibes route, with another company's credentials: 403, and nothing read or written."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.database import Database
from optledger.storage.tables import Event, Person, SubscriptionRecord
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import count_rows, subscribe_active, vibes_headers
from tests.support.vibes_routes import VIBES_ROUTES, vibes_url

BODIES = {"POST": {"mobile_phone": {"mdn": "+19148440141"}}, "PUT": {"custom_fields": {"a": "b"}}}


def test_the_matrix_covers_the_dialect() -> None:
    assert len(VIBES_ROUTES) >= 18


@pytest.mark.parametrize(("method", "path"), VIBES_ROUTES)
async def test_another_companys_credentials_open_nothing(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    database: Database,
    method: str,
    path: str,
) -> None:
    await subscribe_active(client, "+19148440141")
    other = await make_tenant(database)
    url = vibes_url(path, tenant)
    before = [
        await count_rows(tenant.database, tenant.company_id, table)
        for table in (Person, SubscriptionRecord, Event)
    ]
    response = await app_client.request(
        method, url, json=BODIES.get(method), headers=vibes_headers(other)
    )
    assert response.status_code == 403, (method, url, response.text)
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"
    after = [
        await count_rows(tenant.database, tenant.company_id, table)
        for table in (Person, SubscriptionRecord, Event)
    ]
    assert after == before
