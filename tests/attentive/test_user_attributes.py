"""POST /v2/user/attributes: one person, their attributes and subscriptions."""

from __future__ import annotations

import httpx

from optledger.core.auth.scopes import Scope
from optledger.storage.tables import AttributeDefinition, Person, SubscriptionRecord
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import (
    count_rows,
    key_with_scopes,
    messages,
    records,
    stored_attributes,
    stored_identifiers,
    subscribe,
    upsert_user,
)

PHONE = "+19148440001"
EMAIL = "ann@example.com"


async def test_upsert_creates_one_person_with_identifiers_and_attributes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await upsert_user(
        client,
        {
            "phone": PHONE,
            "email": "Ann@EXAMPLE.com",
            "clientUserId": "cu-1",
            "shopifyId": 345678901,
            "klaviyoId": "k-1",
            "customIdentifiers": [{"name": "loyaltyId", "value": "L-9"}],
        },
        {"firstName": "Ann", "lastName": "Lee", "favorite color": "green"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["success"] is True
    assert isinstance(response.json()["message"], str)

    found = await stored_identifiers(tenant.database, tenant.company_id)
    assert set(found) == {
        ("phone", PHONE),
        ("email", "Ann@example.com"),
        ("client_user_id", "cu-1"),
        ("shopify_id", "345678901"),
        ("klaviyo_id", "k-1"),
        ("loyaltyId", "L-9"),
    }
    [person_id] = set(found.values())
    attributes = await stored_attributes(tenant.database, tenant.company_id)
    assert attributes == {
        person_id: {"firstName": "Ann", "lastName": "Lee", "favorite color": "green"}
    }


async def test_a_second_upsert_updates_the_same_person(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await upsert_user(client, {"phone": PHONE}, {"firstName": "Ann", "tier": "gold"})
    response = await upsert_user(
        client, {"clientUserId": "cu-1", "phone": PHONE}, {"firstName": "Anne", "tier": None}
    )
    assert response.status_code == 202, response.text
    assert await count_rows(tenant.database, tenant.company_id, Person) == 1
    [values] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    # null removes an attribute; the definition stays.
    assert values == {"firstName": "Anne"}
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 1


async def test_public_schema_shape_with_groups_and_custom(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await upsert_user(
        client,
        {"email": EMAIL},
        {
            "firstName": "Ann",
            "demographic": {"dateOfBirth": "1990-02-03", "age": 34, "title": ""},
            "location": {"city": "Brooklyn", "zip": "11222", "country": "US"},
            "locale": {"language": "fr", "country": "CA"},
            "custom": {"lucky number": 6, "has pets": True, "firstName": "Custom"},
        },
    )
    assert response.status_code == 202, response.text
    [values] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    # Standard attributes win over a custom one of the same name; "" is ignored.
    assert values == {
        "firstName": "Ann",
        "dateOfBirth": "1990-02-03",
        "age": 34,
        "city": "Brooklyn",
        "zip": "11222",
        "country": "US",
        "locale": "fr-CA",
        "lucky number": 6,
        "has pets": True,
    }
    # Standard names never become custom definitions.
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 2


async def test_a_custom_attribute_with_a_standard_name_sets_the_standard_one(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await upsert_user(
        client, {"phone": PHONE}, {"custom": {"lastName": "Lee", "birthday": "1990-02-03"}}
    )
    assert response.status_code == 202, response.text
    [values] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    assert values == {"lastName": "Lee", "dateOfBirth": "1990-02-03"}
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 0


async def test_standard_attributes_are_typed(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for attributes in ({"dateOfBirth": "yesterday"}, {"age": "old"}, {"firstName": ["A"]}):
        response = await upsert_user(client, {"phone": PHONE}, attributes)
        assert response.status_code == 400, attributes
        assert next(iter(attributes)) in response.json()["error"]["message"]
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0


async def test_subscriptions_use_the_subscribe_flow(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    text = {"type": "MARKETING", "channel": "TEXT", "signUpSourceId": tenant.unit_id("MARKETING")}
    response = await upsert_user(
        client,
        {"phone": PHONE, "email": EMAIL},
        {"firstName": "Ann"},
        [
            {**text, "singleOptIn": True},
            {
                "subscriptionType": "MARKETING",
                "channel": "EMAIL",
                "locale": {"language": "en", "country": "US"},
            },
        ],
    )
    assert response.status_code == 202, response.text
    [text_record] = await records(tenant.database, tenant.company_id, PHONE)
    [email] = await records(tenant.database, tenant.company_id, EMAIL)
    assert (text_record.channel, text_record.type, email.channel) == ("TEXT", "MARKETING", "EMAIL")
    assert text_record.single_opt_in
    assert text_record.person_id == email.person_id
    assert text_record.unit_id == int(tenant.unit_id("MARKETING"))
    first_kinds = [m.kind for m in await messages(tenant.database, tenant.company_id, PHONE)]

    # The same subscription again is a repeat, recorded and messaged as the v1 API does.
    again = await upsert_user(client, {"phone": PHONE}, None, [{**text, "singleOptIn": True}])
    assert again.status_code == 202
    assert await count_rows(tenant.database, tenant.company_id, SubscriptionRecord) == 2
    kinds = [m.kind for m in await messages(tenant.database, tenant.company_id, PHONE)]
    assert kinds[len(first_kinds) :] == ["ALREADY_SUBSCRIBED"]
    v1 = await subscribe(client, PHONE, unit_id=tenant.unit_id("MARKETING"))
    assert v1.json()["subscriptionResponses"][0]["subscriptionCreationStatus"] == (
        "PREVIOUSLY_CREATED"
    )


async def test_a_failing_subscription_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bad_units = [
        {"type": "MARKETING", "channel": "TEXT", "signUpSourceId": "999999"},
        {"type": "TRANSACTIONAL", "channel": "TEXT", "signUpSourceId": tenant.unit_id("MARKETING")},
        {"type": "MARKETING", "channel": "TEXT"},
        {"type": "MARKETING", "channel": "EMAIL", "signUpSourceId": tenant.unit_id("MARKETING")},
    ]
    for item in bad_units:
        response = await upsert_user(client, {"phone": PHONE}, {"firstName": "Ann"}, [item])
        assert response.status_code == 400, item
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
    assert await stored_attributes(tenant.database, tenant.company_id) == {}


async def test_scopes(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    subscription = {"type": "MARKETING", "channel": "TEXT", "signUpSourceId": "1"}
    assert (await upsert_user(app_client, {"phone": PHONE})).status_code == 401
    only_subscriptions = await key_with_scopes(tenant, [Scope.SUBSCRIPTIONS_WRITE])
    response = await upsert_user(app_client, {"phone": PHONE}, headers=only_subscriptions)
    assert response.status_code == 403
    only_attributes = await key_with_scopes(tenant, [Scope.ATTRIBUTES_WRITE])
    response = await upsert_user(
        app_client, {"phone": PHONE}, {"a": 1}, [subscription], headers=only_attributes
    )
    assert response.status_code == 403
    assert "subscriptions:write" in response.json()["error"]["message"]
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
    response = await upsert_user(app_client, {"phone": PHONE}, {"a": 1}, headers=only_attributes)
    assert response.status_code == 202


async def test_tenants_are_isolated(client: httpx.AsyncClient, tenant: Tenant) -> None:
    other = await make_tenant(tenant.database)
    other_client_headers = other.api_headers
    await upsert_user(client, {"phone": PHONE, "clientUserId": "cu-1"}, {"tier": 1})
    # The same identifiers and attribute name in another company are another person
    # and another definition, with its own type.
    response = await upsert_user(
        client,
        {"phone": PHONE, "clientUserId": "cu-2"},
        {"tier": "gold"},
        headers=other_client_headers,
    )
    assert response.status_code == 202, response.text
    assert await count_rows(tenant.database, tenant.company_id, Person) == 1
    assert await count_rows(other.database, other.company_id, Person) == 1
    [mine] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    [theirs] = (await stored_attributes(other.database, other.company_id)).values()
    assert (mine, theirs) == ({"tier": 1}, {"tier": "gold"})


async def test_bad_bodies_are_400_and_write_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bodies = [
        {},
        {"identifiers": {}},
        {"identifiers": {"phone": ""}},
        {"identifiers": "+19148440001"},
        {"identifiers": {"phone": PHONE}, "attributes": []},
        {"identifiers": {"phone": PHONE}, "subscriptions": {"type": "MARKETING"}},
        {"identifiers": {"phone": PHONE}, "subscriptions": [{"type": "PROMO", "channel": "TEXT"}]},
        {"identifiers": {"phone": "19148440001"}},
        {"identifiers": {"email": "not-an-email"}},
    ]
    for body in bodies:
        response = await client.post("/v2/user/attributes", json=body)
        assert response.status_code == 400, body
        assert set(response.json()["error"]) == {"id", "message"}
    response = await client.post(
        "/v2/user/attributes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    huge = {"identifiers": {"phone": PHONE}, "attributes": {"note": "x" * (2 * 1024 * 1024)}}
    response = await client.post("/v2/user/attributes", json=huge)
    assert response.status_code == 413
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
