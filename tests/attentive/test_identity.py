"""Identity resolution: unique identifiers, conflicts named and refused, linking."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from optledger.core.auth.scopes import Scope
from optledger.storage.tables import Person, PersonAttribute, PersonIdentifier
from tests.conftest import Tenant
from tests.support.helpers import (
    count_rows,
    key_with_scopes,
    stored_identifiers,
    subscribe,
    subscribe_body,
    upsert_user,
)

PHONE = "+19148440001"
OTHER_PHONE = "+442071838750"
LINK = "/v1/identity-resolution/user-identifiers"


async def test_identifiers_of_two_people_are_a_409_naming_them(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await upsert_user(client, {"phone": PHONE, "clientUserId": "cu-1"})
    await upsert_user(client, {"email": "b@example.com", "shopifyId": "s-2"})
    before = await stored_identifiers(tenant.database, tenant.company_id)

    response = await upsert_user(
        client,
        {"phone": PHONE, "shopifyId": "s-2", "klaviyoId": "new"},
        {"firstName": "Merged?"},
    )
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert PHONE in message
    assert "s-2" in message
    # Nothing was written: no identifier, no attribute, no merge.
    assert await stored_identifiers(tenant.database, tenant.company_id) == before
    assert await count_rows(tenant.database, tenant.company_id, PersonAttribute) == 0
    assert await count_rows(tenant.database, tenant.company_id, Person) == 2

    # The same conflict through the other routes.
    response = await client.post(LINK, json={"phone": PHONE, "email": "b@example.com"})
    assert response.status_code == 409
    response = await subscribe(client, PHONE, "b@example.com")
    assert response.status_code == 409
    assert await stored_identifiers(tenant.database, tenant.company_id) == before


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("clientUserId", "cu-1", "cu-2"),
        ("shopifyId", "1", "2"),
        ("klaviyoId", "a", "b"),
    ],
)
async def test_a_person_has_one_external_id_of_each_kind(
    client: httpx.AsyncClient, tenant: Tenant, kind: str, first: str, second: str
) -> None:
    assert (await upsert_user(client, {"phone": PHONE, kind: first})).status_code == 202
    response = await upsert_user(client, {"phone": PHONE, kind: second})
    assert response.status_code == 409
    assert first in response.json()["error"]["message"]
    assert second in response.json()["error"]["message"]
    found = await stored_identifiers(tenant.database, tenant.company_id)
    assert {value for (name, value) in found if name != "phone"} == {first}


async def test_phones_and_emails_may_be_several_custom_identifiers_one_per_name(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await upsert_user(client, {"clientUserId": "cu-1", "phone": PHONE})
    response = await upsert_user(
        client, {"clientUserId": "cu-1", "phone": OTHER_PHONE, "email": "a@example.com"}
    )
    assert response.status_code == 202
    loyalty = {"name": "loyaltyId", "value": "L-1"}
    response = await upsert_user(client, {"clientUserId": "cu-1", "customIdentifiers": [loyalty]})
    assert response.status_code == 202
    other = {"key": "loyaltyId", "value": "L-2"}
    response = await upsert_user(client, {"clientUserId": "cu-1", "customIdentifiers": [other]})
    assert response.status_code == 409
    two = [loyalty, {"name": "loyaltyId", "value": "L-3"}]
    response = await upsert_user(client, {"clientUserId": "cu-1", "customIdentifiers": two})
    assert response.status_code == 400
    found = await stored_identifiers(tenant.database, tenant.company_id)
    assert len(set(found.values())) == 1
    assert set(found) == {
        ("client_user_id", "cu-1"),
        ("phone", PHONE),
        ("phone", OTHER_PHONE),
        ("email", "a@example.com"),
        ("loyaltyId", "L-1"),
    }


async def test_empty_and_null_identifiers_are_never_stored(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    identifiers: dict[str, Any] = {
        "phone": PHONE,
        "email": "",
        "clientUserId": None,
        "shopifyId": "   ",
        "klaviyoId": "",
        "customIdentifiers": [{"name": "loyaltyId", "value": ""}, {"name": "x", "value": None}],
    }
    response = await upsert_user(client, identifiers)
    assert response.status_code == 202, response.text
    assert set(await stored_identifiers(tenant.database, tenant.company_id)) == {("phone", PHONE)}


def email_of_length(length: int) -> str:
    """A well-formed address of exactly `length` characters (local part 60)."""
    domain_length = length - 61
    labels = ["b" * 60] * ((domain_length - 4) // 61)
    tail = "c" * (domain_length - 4 - 61 * len(labels)) + ".com"
    return "a" * 60 + "@" + ".".join([*labels, tail])


async def test_identifier_values_are_100_characters_at_most_and_emails_254(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for identifiers, limit in (
        ({"phone": PHONE, "clientUserId": "c" * 101}, "100"),
        ({"phone": PHONE, "shopifyId": "s" * 101}, "100"),
        ({"phone": PHONE, "customIdentifiers": [{"name": "n", "value": "v" * 101}]}, "100"),
        ({"phone": PHONE, "customIdentifiers": [{"name": "n" * 101, "value": "v"}]}, "100"),
        ({"email": email_of_length(255)}, "254"),
    ):
        response = await upsert_user(client, identifiers)
        assert response.status_code == 400, identifiers
        assert limit in response.json()["error"]["message"]
        response = await client.post(LINK, json=identifiers)
        assert response.status_code == 400
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
    response = await upsert_user(client, {"phone": PHONE, "clientUserId": "c" * 100})
    assert response.status_code == 202
    # One limit for emails at every door: what the v2 route takes, subscribe takes.
    longest = email_of_length(254)
    assert (await upsert_user(client, {"email": longest})).status_code == 202
    response = await client.post(
        "/v1/subscriptions", json=subscribe_body(email=f"  {longest} ", singleOptIn=True)
    )
    assert response.status_code == 202, response.text


async def test_linking_needs_two_identifiers(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for alone in (
        {"clientUserId": "cu-1"},
        {"customIdentifiers": [{"name": "loyaltyId", "value": "L-1"}]},
        {"clientUserId": "cu-1", "email": ""},
        {},
    ):
        response = await client.post(LINK, json=alone)
        assert response.status_code == 400, alone
    assert await count_rows(tenant.database, tenant.company_id, PersonIdentifier) == 0

    response = await client.post(LINK, json={"phone": PHONE, "clientUserId": "cu-1"})
    assert response.status_code == 202, response.text
    response = await client.post(
        LINK,
        json={"clientUserId": "cu-1", "customIdentifiers": [{"name": "loyaltyId", "value": "L"}]},
    )
    assert response.status_code == 202
    found = await stored_identifiers(tenant.database, tenant.company_id)
    assert len(found) == 3
    assert len(set(found.values())) == 1


async def test_linking_needs_the_identity_scope(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {"phone": PHONE, "clientUserId": "cu-1"}
    assert (await app_client.post(LINK, json=body)).status_code == 401
    limited = await key_with_scopes(tenant, [Scope.ATTRIBUTES_WRITE])
    assert (await app_client.post(LINK, json=body, headers=limited)).status_code == 403
    allowed = await key_with_scopes(tenant, [Scope.IDENTITY_WRITE])
    assert (await app_client.post(LINK, json=body, headers=allowed)).status_code == 202
