"""The Vibes-style persons API: add, get, update, find by MDN."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import basic, subscribe_active, vibes_headers

PHONE = "+19148440101"
OTHER_PHONE = "+19148440102"


def persons(tenant: Tenant) -> str:
    return f"/companies/{tenant.key}/mobiledb/persons"


async def add(
    app_client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object]
) -> httpx.Response:
    return await app_client.post(persons(tenant), json=body, headers=vibes_headers(tenant))


async def test_add_then_add_again_updates_the_same_person(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await add(
        app_client,
        tenant,
        {
            "external_person_id": "ext-1",
            "mobile_phone": {"mdn": PHONE},
            "custom_fields": {"tier": "gold"},
        },
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["external_person_id"] == "ext-1"
    assert person["mobile_phone"]["mdn"] == PHONE
    assert person["custom_fields"] == {"tier": "gold"}
    assert person["url"] == f"{persons(tenant)}/{person['person_key']}"
    assert person["created_at"].endswith("Z")

    again = await add(
        app_client, tenant, {"external_person_id": "ext-1", "custom_fields": {"tier": "silver"}}
    )
    assert again.status_code == 200
    assert again.json()["person_key"] == person["person_key"]
    assert again.json()["custom_fields"] == {"tier": "silver"}
    by_mdn = await add(app_client, tenant, {"mobile_phone": {"mdn": PHONE[1:]}})
    assert (by_mdn.status_code, by_mdn.json()["person_key"]) == (200, person["person_key"])


async def test_get_by_key_external_id_and_mdn(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    person = (
        await add(
            app_client, tenant, {"external_person_id": "ext-2", "mobile_phone": {"mdn": PHONE}}
        )
    ).json()
    headers = vibes_headers(tenant)
    for url, params in (
        (f"{persons(tenant)}/{person['person_key']}", None),
        (f"{persons(tenant)}/external/ext-2", None),
        (persons(tenant), {"mdn": PHONE}),
        (persons(tenant), {"mdn": PHONE[1:]}),
    ):
        response = await app_client.get(url, params=params, headers=headers)
        assert response.status_code == 200, (url, params, response.text)
        assert response.json() == person
    unknown = await app_client.get(persons(tenant), params={"mdn": OTHER_PHONE}, headers=headers)
    assert unknown.status_code == 404
    bad = await app_client.get(persons(tenant), params={"mdn": "12"}, headers=headers)
    assert (bad.status_code, bad.json()["errors"][0]["code"]) == (400, "INVALID_MDN")
    for url in (f"{persons(tenant)}/nobody", f"{persons(tenant)}/external/nobody"):
        assert (await app_client.get(url, headers=headers)).status_code == 404


async def test_update_changes_the_mdn_unless_another_person_holds_it(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = (
        await add(
            app_client, tenant, {"external_person_id": "ext-3", "mobile_phone": {"mdn": PHONE}}
        )
    ).json()
    await add(
        app_client, tenant, {"external_person_id": "ext-4", "mobile_phone": {"mdn": OTHER_PHONE}}
    )
    headers = vibes_headers(tenant)
    url = f"{persons(tenant)}/{first['person_key']}"
    taken = await app_client.put(url, json={"mobile_phone": {"mdn": OTHER_PHONE}}, headers=headers)
    assert (taken.status_code, taken.json()["errors"][0]["code"]) == (409, "MDN_TAKEN")
    moved = await app_client.put(
        f"{persons(tenant)}/external/ext-3",
        json={"mobile_phone": {"mdn": "+19148440103"}, "custom_fields": {"zip": "10001"}},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["mobile_phone"]["mdn"] == "+19148440103"
    assert moved.json()["custom_fields"] == {"zip": "10001"}
    # The old number no longer names anyone.
    old = await app_client.get(persons(tenant), params={"mdn": PHONE}, headers=headers)
    assert old.status_code == 404


async def test_identifiers_of_two_people_are_409(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await add(app_client, tenant, {"external_person_id": "ext-5", "mobile_phone": {"mdn": PHONE}})
    await add(app_client, tenant, {"external_person_id": "ext-6"})
    conflict = await add(
        app_client, tenant, {"external_person_id": "ext-6", "mobile_phone": {"mdn": PHONE}}
    )
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["code"] == "IDENTIFIER_CONFLICT"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mobile_phone": {"mdn": "not a number"}},
        {"external_person_id": 5},
        {"external_person_id": "x" * 129},
        {"custom_fields": {"tier": ["gold"]}},
        [],
    ],
)
async def test_bad_persons_are_400(
    app_client: httpx.AsyncClient, tenant: Tenant, body: object
) -> None:
    response = await app_client.post(persons(tenant), json=body, headers=vibes_headers(tenant))
    assert response.status_code == 400, response.text
    assert "errors" in response.json()


async def test_a_subscriber_from_another_door_is_a_vibes_person(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    found = await app_client.get(
        persons(tenant), params={"mdn": PHONE}, headers=vibes_headers(tenant)
    )
    assert found.status_code == 200
    key = found.json()["person_key"]
    records = await app_client.get(
        f"{persons(tenant)}/{key}/subscriptions", headers=vibes_headers(tenant)
    )
    assert len(records.json()) == 1


async def test_an_erased_person_never_comes_back_by_mdn(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    person = (
        await add(
            app_client, tenant, {"external_person_id": "ext-7", "mobile_phone": {"mdn": PHONE}}
        )
    ).json()
    erased = await client.post("/v1/privacy/delete-request", json={"subjectPhone": PHONE})
    assert erased.status_code == 200
    headers = vibes_headers(tenant)
    for url, params in (
        (f"{persons(tenant)}/{person['person_key']}", None),
        (f"{persons(tenant)}/external/ext-7", None),
        (persons(tenant), {"mdn": PHONE}),
    ):
        assert (await app_client.get(url, params=params, headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"mobile_phone": {"mdn": PHONE}}),
        ("GET", f"?mdn={PHONE[1:]}", None),
        ("GET", "/external/ext-8", None),
        ("PUT", "/external/ext-8", {"custom_fields": {"a": "b"}}),
    ],
)
async def test_persons_open_to_their_own_company_only(
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    database: Database,
    method: str,
    path: str,
    body: object,
) -> None:
    await add(app_client, tenant, {"external_person_id": "ext-8", "mobile_phone": {"mdn": PHONE}})
    other = await make_tenant(database)
    url = f"{persons(tenant)}{path}"
    foreign = await app_client.request(method, url, json=body, headers=vibes_headers(other))
    assert foreign.status_code == 403
    wrong = await app_client.request(
        method, url, json=body, headers=basic(tenant.boot.basic.lookup_id, "nope")
    )
    assert wrong.status_code == 401
    # Nothing of it leaked into, or changed, the other company.
    mine = await app_client.get(f"{persons(tenant)}/external/ext-8", headers=vibes_headers(tenant))
    assert mine.json()["custom_fields"] == {}
