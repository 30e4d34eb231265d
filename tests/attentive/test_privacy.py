"""Privacy deletion: personal data erased, the opt-out kept as a suppression."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from optledger.core.auth.scopes import Scope
from optledger.storage.tables import (
    ConfirmationBlock,
    Event,
    InboundMessage,
    Message,
    Person,
    PersonAttribute,
    PersonIdentifier,
    PrivacyRequest,
    SubscriptionRecord,
    Suppression,
)
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import (
    count_rows,
    events,
    key_with_scopes,
    records,
    subscribe,
    text_in,
    upsert_user,
)

PHONE = "+19148440001"
EMAIL = "ann@example.com"
DELETE = "/v1/privacy/delete-request"


async def subscribed_person(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = tenant.unit_id("MARKETING")
    response = await upsert_user(
        client,
        {"phone": PHONE, "email": EMAIL, "clientUserId": "cu-1"},
        {"firstName": "Ann", "favorite color": "green"},
        [
            {"type": "MARKETING", "channel": "TEXT", "signUpSourceId": unit},
            {"type": "MARKETING", "channel": "EMAIL", "signUpSourceId": unit},
        ],
    )
    assert response.status_code == 202, response.text


async def all_rows(tenant: Tenant, table: type[Any]) -> list[Any]:
    async def query(session: Any) -> list[Any]:
        statement = select(table).where(table.company_id == tenant.company_id)
        return list(await session.scalars(statement))

    return await tenant.database.inspect(query)


async def test_deletion_erases_personal_data(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await subscribed_person(client, tenant)
    response = await client.post(
        DELETE, json={"subjectPhone": PHONE, "requestMsg": "The subscriber asked"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "id",
        "processed",
        "type",
        "subjectEmail",
        "subjectPhone",
        "requestMsg",
        "requestDateTime",
        "processingStartDateTime",
        "processingEndDateTime",
    }
    assert body["processed"] is True
    assert body["type"] == "DELETE"
    assert body["subjectPhone"] == "+*****0001"
    assert body["subjectEmail"] is None
    assert body["requestMsg"] == "The subscriber asked"
    assert body["requestDateTime"] <= body["processingEndDateTime"]

    assert await count_rows(tenant.database, tenant.company_id, PersonIdentifier) == 0
    assert await count_rows(tenant.database, tenant.company_id, PersonAttribute) == 0
    # Records stay (the ledger is append-only) but end, and name nobody.
    stored = await all_rows(tenant, SubscriptionRecord)
    assert len(stored) == 2
    assert {r.status for r in stored} == {"ENDED"}
    assert {r.opt_out_reason for r in stored} == {"api_opt_out"}
    assert all(r.contact_value.startswith("erased:") for r in stored)
    sent = await all_rows(tenant, Message)
    assert sent
    assert all(m.to_address.startswith("erased:") and m.body == "[erased]" for m in sent)
    assert {m.status for m in sent} == {"cancelled"}
    # The raw phone and email are nowhere any more, the privacy request included.
    for table in (SubscriptionRecord, Event, Message, PrivacyRequest, Suppression):
        for row in await all_rows(tenant, table):
            text = repr({c.key: getattr(row, c.key) for c in row.__table__.columns})
            assert PHONE not in text
            assert "ann@example" not in text
    # Both contact points of the person are suppressed, as keyed hashes.
    suppressed = await all_rows(tenant, Suppression)
    assert {s.channel for s in suppressed} == {"TEXT", "EMAIL"}
    assert all(len(s.contact_hash) == 64 for s in suppressed)
    [erasure] = await events(tenant.database, tenant.company_id, "privacy_erasure")
    assert erasure.data["people"] == 1

    again = await client.get(f"{DELETE}/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


async def test_erased_contacts_are_not_silently_resubscribed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribed_person(client, tenant)
    assert (await client.post(DELETE, json={"subjectEmail": EMAIL})).status_code == 200
    unit = tenant.unit_id("MARKETING")

    # An attributes upsert brings the data back, but no subscription.
    response = await upsert_user(client, {"phone": PHONE, "email": EMAIL}, {"firstName": "A"})
    assert response.status_code == 202
    assert await records(tenant.database, tenant.company_id, PHONE) == []
    eligibility = await client.get("/v1/subscriptions", params={"phone": PHONE})
    assert eligibility.status_code == 200
    assert eligibility.json()["subscriptionEligibilities"] == []

    # A single opt-in (no confirmation by the person) is refused, nothing written.
    people = await count_rows(tenant.database, tenant.company_id, Person)
    response = await subscribe(client, PHONE, unit_id=unit, singleOptIn=True)
    assert response.status_code == 409
    assert "erased" in response.json()["error"]["message"]
    single = {"type": "MARKETING", "channel": "EMAIL", "signUpSourceId": unit, "singleOptIn": True}
    response = await upsert_user(client, {"email": "new@example.com"}, {"x": 1}, [single])
    assert response.status_code == 202  # not suppressed: another address
    response = await upsert_user(client, {"email": EMAIL}, {"y": 1}, [single])
    assert response.status_code == 409
    assert await count_rows(tenant.database, tenant.company_id, Person) == people + 1
    assert await records(tenant.database, tenant.company_id, PHONE) == []

    # Nor may a unit that would not ask: email double opt-in is off by default.
    response = await subscribe(client, email=EMAIL, unit_id=unit)
    assert response.status_code == 409
    assert await records(tenant.database, tenant.company_id, EMAIL) == []

    # An explicit subscribe through the normal flow is new consent, and recorded so.
    response = await subscribe(client, PHONE, unit_id=unit)
    assert response.status_code == 202
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    [renewed] = await events(tenant.database, tenant.company_id, "consent_after_erasure")
    assert (renewed.channel, renewed.contact_value) == ("TEXT", PHONE)
    assert record.status in ("PENDING", "ACTIVE")


async def test_unknown_subjects_are_suppressed_too(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(DELETE, json={"subjectPhone": PHONE, "subjectEmail": EMAIL})
    assert response.status_code == 200
    assert response.json()["subjectEmail"] == "a**@example.com"
    assert await count_rows(tenant.database, tenant.company_id, Suppression) == 2
    response = await subscribe(client, PHONE, unit_id=tenant.unit_id("MARKETING"), singleOptIn=True)
    assert response.status_code == 409
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
    # Asking twice keeps one suppression per contact point.
    assert (await client.post(DELETE, json={"subjectPhone": PHONE})).status_code == 200
    assert await count_rows(tenant.database, tenant.company_id, Suppression) == 2


async def test_bad_requests_and_unknown_ids(
    app_client: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for body in ({}, {"requestMsg": "x"}, {"subjectPhone": "19148440001"}, {"subjectEmail": 5}):
        response = await client.post(DELETE, json=body)
        assert response.status_code == 400, body
    assert await count_rows(tenant.database, tenant.company_id, PrivacyRequest) == 0
    for unknown in ("999999", "abc", "1" * 30):
        response = await client.get(f"{DELETE}/{unknown}")
        assert response.status_code == 404
        assert set(response.json()["error"]) == {"id", "message"}

    other = await make_tenant(tenant.database)
    theirs = await client.post(DELETE, json={"subjectPhone": PHONE}, headers=other.api_headers)
    assert theirs.status_code == 200
    response = await client.get(f"{DELETE}/{theirs.json()['id']}", headers=tenant.api_headers)
    assert response.status_code == 404
    # Their erasure suppressed nothing here.
    assert await count_rows(tenant.database, tenant.company_id, Suppression) == 0


async def test_scopes(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = {"subjectPhone": PHONE}
    assert (await app_client.post(DELETE, json=body)).status_code == 401
    limited = await key_with_scopes(tenant, [Scope.SUBSCRIPTIONS_WRITE, Scope.ATTRIBUTES_WRITE])
    assert (await app_client.post(DELETE, json=body, headers=limited)).status_code == 403
    assert (await app_client.get(f"{DELETE}/1", headers=limited)).status_code == 403
    allowed = await key_with_scopes(tenant, [Scope.PRIVACY_REQUESTS_WRITE])
    assert (await app_client.post(DELETE, json=body, headers=allowed)).status_code == 200


async def test_a_client_user_id_finds_the_subject(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribed_person(client, tenant)
    response = await client.post(DELETE, json={"clientUserId": "cu-1"})
    assert response.status_code == 200
    assert (response.json()["subjectPhone"], response.json()["subjectEmail"]) == (None, None)
    assert await count_rows(tenant.database, tenant.company_id, PersonIdentifier) == 0
    # The person's phone and email were found through them, and are suppressed.
    assert await count_rows(tenant.database, tenant.company_id, Suppression) == 2
    response = await subscribe(client, PHONE, unit_id=tenant.unit_id("MARKETING"), singleOptIn=True)
    assert response.status_code == 409


async def test_deletion_erases_inbound_texts_and_confirmation_blocks(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe(client, PHONE)
    assert await text_in(client, tenant.key, PHONE, "n") != "ignored"
    assert await text_in(client, tenant.key, PHONE, "Call me at +19148440001") == "ignored"
    assert await all_rows(tenant, ConfirmationBlock)
    response = await client.post(DELETE, json={"subjectPhone": PHONE})
    assert response.status_code == 200, response.text
    for inbound in await all_rows(tenant, InboundMessage):
        assert PHONE not in inbound.from_address
        assert PHONE not in inbound.body
    for block in await all_rows(tenant, ConfirmationBlock):
        assert block.contact_value != PHONE
