"""Acquisition campaigns and their participants, the one Vibes door to new consent."""

from __future__ import annotations

import httpx
import pytest

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.sign_up_units import Locale, UnitSpec, create_sign_up_unit
from optledger.storage.database import Database
from tests.conftest import Outbox, Tenant, make_tenant
from tests.support.helpers import events, records, text_in, vibes_headers
from tests.support.sink import HttpSink

PHONE = "+19148440111"


def campaigns(tenant: Tenant) -> str:
    return f"/companies/{tenant.key}/campaigns/acquisition"


async def single_opt_in_campaign(tenant: Tenant, **changes: object) -> str:
    spec = UnitSpec(
        name="Checkout",
        subscription_type=SubscriptionType.MARKETING,
        channels=[Channel.TEXT],
        locale=Locale("en", "US"),
        legal_disclosure="Msg & data rates may apply.",
        double_opt_in=False,
    )
    for name, value in changes.items():
        setattr(spec, name, value)
    unit = await tenant.database.run(
        lambda connection: create_sign_up_unit(connection, tenant.company_id, spec)
    )
    return str(unit.id)


async def join(
    app_client: httpx.AsyncClient, tenant: Tenant, campaign: str, body: dict[str, object]
) -> httpx.Response:
    return await app_client.post(
        f"{campaigns(tenant)}/{campaign}/participants", json=body, headers=vibes_headers(tenant)
    )


async def test_campaigns_are_the_sign_up_units(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    keyword = await single_opt_in_campaign(tenant, method="KEYWORD", keywords=["join"])
    headers = vibes_headers(tenant)
    listed = (await app_client.get(campaigns(tenant), headers=headers)).json()
    assert {item["acquisition_id"] for item in listed} >= {tenant.unit_id("MARKETING"), keyword}
    one = await app_client.get(f"{campaigns(tenant)}/{keyword}", headers=headers)
    assert one.json()["acquisition_campaign"] == {"keywords": ["JOIN"]}
    assert one.json()["status"] == "active"
    assert (await app_client.get(f"{campaigns(tenant)}/999999", headers=headers)).status_code == 404


async def test_a_double_opt_in_campaign_prompts_and_waits(
    app_client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    campaign = tenant.unit_id("MARKETING")
    response = await join(app_client, tenant, campaign, {"mobile_phone": {"mdn": PHONE}})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "PENDING"
    assert response.json()["expire_date"].endswith("Z")
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(PHONE, tenant.key)] == ["CONFIRMATION_PROMPT"]
    pending = await app_client.get(
        f"{campaigns(tenant)}/{campaign}/participants",
        params={"status": "PENDING"},
        headers=vibes_headers(tenant),
    )
    assert [p["person"]["person_key"] for p in pending.json()] == [
        response.json()["person"]["person_key"]
    ]


async def test_a_single_opt_in_campaign_subscribes_and_a_second_join_is_409(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    campaign = await single_opt_in_campaign(tenant)
    body = {"mobile_phone": {"mdn": PHONE[1:]}, "custom_fields": {"source": "pos"}}
    first = await join(app_client, tenant, campaign, body)
    assert (first.status_code, first.json()["status"]) == (201, "SUBSCRIBED")
    again = await join(app_client, tenant, campaign, body)
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "ALREADYSUBSCRIBED")
    # A refused join writes nothing: no repeat, no "already subscribed" text.
    assert await events(tenant.database, tenant.company_id, "subscription_repeated") == []
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"
    person = await app_client.get(
        f"/companies/{tenant.key}/mobiledb/persons",
        params={"mdn": PHONE},
        headers=vibes_headers(tenant),
    )
    assert person.json()["custom_fields"] == {"source": "pos"}


async def test_after_a_no_the_campaign_may_not_prompt_again(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    campaign = tenant.unit_id("MARKETING")
    assert (
        await join(app_client, tenant, campaign, {"mobile_phone": {"mdn": PHONE}})
    ).status_code == 201
    assert await text_in(client, tenant.key, PHONE, "NO") == "decline"
    blocked = await join(app_client, tenant, campaign, {"mobile_phone": {"mdn": PHONE}})
    assert blocked.status_code == 422
    assert blocked.json()["errors"][0]["code"] == "MDNHASCONFIRMATIONBLOCK"


async def test_a_person_joins_by_external_id_with_their_number(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await app_client.post(
        f"/companies/{tenant.key}/mobiledb/persons",
        json={"external_person_id": "crm-111", "mobile_phone": {"mdn": PHONE}},
        headers=vibes_headers(tenant),
    )
    campaign = await single_opt_in_campaign(tenant)
    joined = await join(app_client, tenant, campaign, {"external_person_id": "crm-111"})
    assert joined.status_code == 201, joined.text
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"
    unknown = await join(app_client, tenant, campaign, {"external_person_id": "nobody"})
    assert unknown.status_code == 404


async def test_an_erased_number_needs_a_confirmed_consent(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (
        await client.post("/v1/privacy/delete-request", json={"subjectPhone": PHONE})
    ).status_code == 200
    single = await single_opt_in_campaign(tenant)
    refused = await join(app_client, tenant, single, {"mobile_phone": {"mdn": PHONE}})
    assert refused.status_code == 409
    asked = await join(
        app_client, tenant, tenant.unit_id("MARKETING"), {"mobile_phone": {"mdn": PHONE}}
    )
    assert (asked.status_code, asked.json()["status"]) == (201, "PENDING")


@pytest.mark.parametrize(
    "body",
    [{"mobile_phone": {"mdn": "12"}}, {}, {"mobile_phone": "x"}, {"custom_fields": {"a": 1}}],
)
async def test_bad_participants_are_400(
    app_client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object]
) -> None:
    response = await join(app_client, tenant, tenant.unit_id("MARKETING"), body)
    assert response.status_code == 400, response.text
    assert "errors" in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/{unit}"),
        ("GET", "/{unit}/participants"),
        ("POST", "/{unit}/participants"),
    ],
)
async def test_campaigns_open_to_their_own_company_only(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database, method: str, path: str
) -> None:
    other = await make_tenant(database)
    url = campaigns(tenant) + path.format(unit=tenant.unit_id("MARKETING"))
    body = {"mobile_phone": {"mdn": PHONE}} if method == "POST" else None
    response = await app_client.request(method, url, json=body, headers=vibes_headers(other))
    assert response.status_code == 403
    assert await records(tenant.database, tenant.company_id, PHONE) == []
