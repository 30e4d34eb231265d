"""The Vibes-style subscriptions of a person and subscription lists (seed 004)."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import (
    basic,
    eligibility,
    list_id,
    persons,
    subscribe_active,
    text_in,
    vibes_headers,
)

PHONE = "+19148440091"
EXTERNAL = "crm-91"


async def subscribe_with_external_id(
    client: httpx.AsyncClient, sub_type: str = "MARKETING"
) -> None:
    await subscribe_active(
        client, PHONE, sub_type=sub_type, externalIdentifiers={"clientUserId": EXTERNAL}
    )


async def test_every_record_of_a_person_oldest_first_and_active_only(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    await subscribe_with_external_id(client)
    headers = vibes_headers(tenant)
    response = await app_client.get(
        f"{persons(tenant)}/external/{EXTERNAL}/subscriptions", headers=headers
    )
    assert response.status_code == 200, response.text
    records = response.json()
    assert len(records) == 2
    assert records[0]["opt_out_reason"] == "api_opt_out"
    assert records[0]["opt_out_date"].endswith("Z")
    assert records[1]["opt_out_date"] is None
    person_key = records[0]["person"]["id"]
    assert records[0]["url"] == (
        f"/companies/{tenant.key}/mobiledb/persons/{person_key}/subscriptions/"
        f"{records[0]['subscription_list']['id']}"
    )
    by_key = await app_client.get(f"{persons(tenant)}/{person_key}/subscriptions", headers=headers)
    assert by_key.json() == records
    active = await app_client.get(
        f"{persons(tenant)}/{person_key}/subscriptions",
        params={"active_only": "true"},
        headers=headers,
    )
    assert active.json() == records[1:]


async def test_status_for_one_list_and_leaving_it(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    await subscribe_with_external_id(client, sub_type="TRANSACTIONAL")
    headers = vibes_headers(tenant)
    marketing = await list_id(app_client, tenant, "MARKETING", "TEXT")
    email_list = await list_id(app_client, tenant, "MARKETING", "EMAIL")
    url = f"{persons(tenant)}/external/{EXTERNAL}/subscriptions"
    [status] = (await app_client.get(f"{url}/{marketing}", headers=headers)).json()
    assert status["subscription_list"]["id"] == marketing
    never = await app_client.get(f"{url}/{email_list}", headers=headers)
    assert never.status_code == 404
    assert never.json()["errors"][0]["code"] == "NOT_FOUND"

    left = await app_client.delete(f"{url}/{marketing}", headers=headers)
    assert left.status_code == 204
    # One consent state whatever the door: Attentive sees it at once.
    assert await eligibility(client, PHONE) == {
        ("MARKETING", "TEXT"): False,
        ("TRANSACTIONAL", "TEXT"): True,
    }
    assert (await app_client.delete(f"{url}/{marketing}", headers=headers)).status_code == 404
    [ended] = (await app_client.get(f"{url}/{marketing}", headers=headers)).json()
    assert ended["opt_out_reason"] == "api_opt_out"


async def test_a_stop_shows_as_a_keyword_opt_out(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    assert await text_in(client, tenant.key, PHONE, "STOP") == "opt_out"
    response = await app_client.get(
        f"{persons(tenant)}/external/{EXTERNAL}/subscriptions", headers=vibes_headers(tenant)
    )
    assert [r["opt_out_reason"] for r in response.json()] == ["keyword_opt_out"]


async def test_unknown_people_and_lists_are_404(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    headers = vibes_headers(tenant)
    for url in (
        f"{persons(tenant)}/nobody/subscriptions",
        f"{persons(tenant)}/external/nobody/subscriptions",
        f"{persons(tenant)}/external/{EXTERNAL}/subscriptions/999999",
        f"/companies/{tenant.key}/mobiledb/subscription_lists/999999",
    ):
        response = await app_client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert set(response.json()["errors"][0]) == {"code", "message"}


async def test_an_erased_person_is_gone(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    url = f"{persons(tenant)}/external/{EXTERNAL}/subscriptions"
    [record] = (await app_client.get(url, headers=vibes_headers(tenant))).json()
    erased = await client.post("/v1/privacy/delete-request", json={"subjectPhone": PHONE})
    assert erased.status_code == 200, erased.text
    assert (await app_client.get(url, headers=vibes_headers(tenant))).status_code == 404
    by_key = f"{persons(tenant)}/{record['person']['id']}/subscriptions"
    assert (await app_client.get(by_key, headers=vibes_headers(tenant))).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/mobiledb/persons/external/crm-91/subscriptions"),
        ("GET", "/mobiledb/persons/external/crm-91/subscriptions/1"),
        ("DELETE", "/mobiledb/persons/external/crm-91/subscriptions/1"),
        ("GET", "/mobiledb/subscription_lists"),
        ("GET", "/mobiledb/subscription_lists/1"),
    ],
)
async def test_credentials_open_their_own_company_only(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    database: Database,
    method: str,
    path: str,
) -> None:
    await subscribe_with_external_id(client)
    other = await make_tenant(database)
    url = f"/companies/{tenant.key}{path}"
    foreign = await app_client.request(method, url, headers=vibes_headers(other))
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["code"] == "FORBIDDEN"
    wrong = await app_client.request(
        method, url, headers=basic(tenant.boot.basic.lookup_id, "wrong")
    )
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")
    with_api_key = await app_client.request(method, url, headers=tenant.api_headers)
    assert with_api_key.status_code == 401
    # Nothing changed: the subscription is still there.
    assert await eligibility(client, PHONE) == {("MARKETING", "TEXT"): True}


async def test_a_lists_subscriber_is_found_by_mdn_key_or_external_id(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    headers = vibes_headers(tenant)
    marketing = await list_id(app_client, tenant, "MARKETING", "TEXT")
    email_list = await list_id(app_client, tenant, "MARKETING", "EMAIL")
    url = f"/companies/{tenant.key}/mobiledb/subscription_lists/{marketing}/subscribers"
    [by_mdn] = (await app_client.get(url, params={"mdn": PHONE[1:]}, headers=headers)).json()
    [by_external] = (
        await app_client.get(url, params={"external_person_id": EXTERNAL}, headers=headers)
    ).json()
    [by_key] = (
        await app_client.get(url, params={"person_key": by_mdn["person"]["id"]}, headers=headers)
    ).json()
    assert by_mdn == by_external == by_key
    elsewhere = url.replace(f"/{marketing}/", f"/{email_list}/")
    assert (
        await app_client.get(elsewhere, params={"mdn": PHONE}, headers=headers)
    ).status_code == 404
    both = await app_client.get(
        url, params={"mdn": PHONE, "external_person_id": EXTERNAL}, headers=headers
    )
    assert both.status_code == 400


async def test_a_legacy_opt_out_shows_as_an_api_opt_out(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_with_external_id(client)
    legacy = await app_client.post(
        "/1/subscribers/unsubscribe",
        json={"phone": "(914) 844-0091", "sendOptOutMessage": False},
        headers=tenant.legacy_headers,
    )
    assert legacy.status_code == 200
    response = await app_client.get(
        f"{persons(tenant)}/external/{EXTERNAL}/subscriptions", headers=vibes_headers(tenant)
    )
    assert [r["opt_out_reason"] for r in response.json()] == ["api_opt_out"]


@pytest.mark.parametrize(
    "query", [{}, {"active_only": "true"}, {"active_only": "false"}, {"active_only": "maybe"}]
)
@pytest.mark.parametrize("known", [True, False])
async def test_the_lookup_lane_answers_as_the_route_does(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    query: dict[str, str],
    known: bool,
) -> None:
    # The first request with a login goes through the framework's route and caches
    # the login; later ones take the lane. Both must say the same, errors included.
    await subscribe_with_external_id(client)
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    await subscribe_with_external_id(client)
    headers = vibes_headers(tenant)
    listed = await app_client.get(
        f"{persons(tenant)}/external/{EXTERNAL}/subscriptions", headers=headers
    )
    person_key = listed.json()[0]["person"]["id"] if known else "nobody"
    url = f"{persons(tenant)}/{person_key}/subscriptions"
    first = await app_client.get(url, params=query, headers=headers)
    second = await app_client.get(url, params=query, headers=headers)
    assert (second.status_code, second.headers["content-type"]) == (
        first.status_code,
        first.headers["content-type"],
    )
    assert second.json() == first.json()
