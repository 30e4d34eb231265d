"""Sign-up unit resolution: by id, or exactly one active API unit for locale and type."""

from __future__ import annotations

import httpx
import pytest

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import InvalidInput
from optledger.core.sign_up_units import (
    Locale,
    UnitSpec,
    archive_sign_up_unit,
    create_sign_up_unit,
)
from optledger.storage.tables import SignUpUnit, SubscriptionRecord
from tests.conftest import Tenant
from tests.support.helpers import count_rows, records, statuses, subscribe, subscribe_body

PHONE = "+19148440001"


async def add_unit(tenant: Tenant, **overrides: object) -> SignUpUnit:
    spec = UnitSpec(
        name=str(overrides.pop("name", "extra unit")),
        subscription_type=SubscriptionType.MARKETING,
        channels=[Channel.TEXT],
        locale=Locale("en", "US"),
        legal_disclosure="Extra disclosure. Reply STOP to cancel.",
    )
    for field, value in overrides.items():
        setattr(spec, field, value)
    return await tenant.database.run(
        lambda connection: create_sign_up_unit(connection, tenant.company_id, spec)
    )


async def test_zero_matching_units_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = subscribe_body(PHONE)
    body["locale"] = {"language": "fr", "country": "CA"}
    response = await client.post("/v1/subscriptions", json=body)
    assert response.status_code == 400
    assert "no active API sign-up unit" in response.json()["error"]["message"]
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0


async def test_one_matching_unit_is_used(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await add_unit(tenant, locale=Locale("fr", "CA"))
    body = subscribe_body(PHONE)
    body["locale"] = {"language": "fr", "country": "CA"}
    response = await client.post("/v1/subscriptions", json=body)
    assert response.status_code == 202
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.unit_id == unit.id
    assert record.language == "fr"
    assert record.disclosure_text == "Extra disclosure. Reply STOP to cancel."


async def test_two_matching_units_is_400_and_id_still_works(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    second = await add_unit(tenant)
    response = await subscribe(client, PHONE)
    assert response.status_code == 400
    assert "more than one" in response.json()["error"]["message"]
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 0
    by_id = await subscribe(client, PHONE, unit_id=str(second.id))
    assert statuses(by_id, "subscriptionCreationStatus") == {("MARKETING", "TEXT"): "NEWLY_CREATED"}


async def test_archived_and_non_api_units_are_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    keyword_unit = await add_unit(tenant, name="keyword", method="KEYWORD", keywords=["JOIN"])
    response = await subscribe(client, PHONE, unit_id=str(keyword_unit.id))
    assert response.status_code == 400
    assert "not an API" in response.json()["error"]["message"]

    marketing = tenant.unit_id("MARKETING")
    await tenant.database.run(
        lambda connection: archive_sign_up_unit(connection, tenant.company_id, int(marketing))
    )
    response = await subscribe(client, PHONE, unit_id=marketing)
    assert response.status_code == 400
    assert "archived" in response.json()["error"]["message"]
    # An archived unit no longer matches by locale and type either.
    assert (await subscribe(client, PHONE)).status_code == 400


async def test_type_must_match_the_unit(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = subscribe_body(PHONE, unit_id=tenant.unit_id("MARKETING"))
    body["subscriptionType"] = "TRANSACTIONAL"
    response = await client.post("/v1/subscriptions", json=body)
    assert response.status_code == 400
    assert "MARKETING unit" in response.json()["error"]["message"]


async def test_single_opt_in_only_where_the_unit_allows(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    strict = await add_unit(tenant, name="strict", locale=Locale("en", "GB"))
    response = await subscribe(client, PHONE, unit_id=str(strict.id), singleOptIn=True)
    assert response.status_code == 400
    assert "single opt-in" in response.json()["error"]["message"]
    response = await subscribe(client, PHONE, singleOptIn=True)
    assert response.status_code == 202
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.single_opt_in is True


async def test_unit_channels_limit_what_is_opened(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    text_only = await add_unit(tenant, name="text only", locale=Locale("en", "CA"))
    response = await subscribe(client, PHONE, "a@example.com", unit_id=str(text_only.id))
    assert statuses(response, "subscriptionCreationStatus") == {
        ("MARKETING", "TEXT"): "NEWLY_CREATED"
    }
    response = await subscribe(client, None, "a@example.com", unit_id=str(text_only.id))
    assert response.status_code == 400


async def test_marketing_unit_needs_a_disclosure(tenant: Tenant) -> None:
    with pytest.raises(InvalidInput, match="legal disclosure"):
        await add_unit(tenant, name="no disclosure", legal_disclosure=None)
