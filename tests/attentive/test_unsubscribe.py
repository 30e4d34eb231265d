"""POST /v1/subscriptions/unsubscribe: per channel, repeats recorded, confirmations sent."""

from __future__ import annotations

import httpx

from optledger.storage.tables import Event
from tests.conftest import Tenant
from tests.support.helpers import count_rows, events, messages, records, statuses, subscribe_active

STATUS = "subscriptionUnsubscribeStatus"
PHONE = "+19148440001"
EMAIL = "someone@example.com"


async def unsubscribe(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("/v1/subscriptions/unsubscribe", json=body)


async def test_phone_ends_text_only_and_email_ends_email_only(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE, EMAIL)
    response = await unsubscribe(client, user={"phone": PHONE})
    assert response.status_code == 202
    assert statuses(response, STATUS) == {("MARKETING", "TEXT"): "NEWLY_UNSUBSCRIBED"}
    [text_record] = await records(tenant.database, tenant.company_id, PHONE)
    [email_record] = await records(tenant.database, tenant.company_id, EMAIL)
    assert text_record.status == "ENDED"
    assert text_record.opt_out_reason == "api_opt_out"
    assert text_record.opt_out_date is not None
    assert email_record.status == "ACTIVE"

    response = await unsubscribe(client, user={"email": EMAIL})
    assert statuses(response, STATUS) == {("MARKETING", "EMAIL"): "NEWLY_UNSUBSCRIBED"}
    [email_record] = await records(tenant.database, tenant.company_id, EMAIL)
    assert email_record.status == "ENDED"


async def test_repeat_is_previously_unsubscribed_and_recorded(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    first = await unsubscribe(client, user={"phone": PHONE})
    again = await unsubscribe(client, user={"phone": PHONE})
    assert statuses(first, STATUS) == {("MARKETING", "TEXT"): "NEWLY_UNSUBSCRIBED"}
    assert statuses(again, STATUS) == {("MARKETING", "TEXT"): "PREVIOUSLY_UNSUBSCRIBED"}
    assert len(await events(tenant.database, tenant.company_id, "unsubscribe_repeated")) == 1
    assert len(await events(tenant.database, tenant.company_id, "subscription_ended")) == 1
    kinds = [m.kind for m in await messages(tenant.database, tenant.company_id, PHONE)]
    # The seed: a TEXT unsubscribe tells the person, the repeat included.
    assert kinds.count("OPT_OUT_CONFIRMATION") == 2


async def test_only_listed_subscriptions_end(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await subscribe_active(client, PHONE, sub_type="MARKETING")
    await subscribe_active(client, PHONE, sub_type="TRANSACTIONAL")
    response = await unsubscribe(
        client,
        user={"phone": PHONE},
        subscriptions=[{"type": "TRANSACTIONAL", "channel": "TEXT"}],
    )
    assert statuses(response, STATUS) == {("TRANSACTIONAL", "TEXT"): "NEWLY_UNSUBSCRIBED"}
    by_type = {r.type: r.status for r in await records(tenant.database, tenant.company_id, PHONE)}
    assert by_type == {"MARKETING": "ACTIVE", "TRANSACTIONAL": "ENDED"}


async def test_listed_subscription_never_held_is_previously_unsubscribed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    response = await unsubscribe(
        client,
        user={"phone": PHONE},
        subscriptions=[{"type": "CHECKOUT_ABANDONED", "channel": "TEXT"}],
    )
    assert statuses(response, STATUS) == {("CHECKOUT_ABANDONED", "TEXT"): "PREVIOUSLY_UNSUBSCRIBED"}


async def test_email_cannot_reach_text_subscriptions(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE, EMAIL)
    response = await unsubscribe(
        client, user={"email": EMAIL}, subscriptions=[{"type": "MARKETING", "channel": "TEXT"}]
    )
    assert response.status_code == 400
    assert "user.phone" in response.json()["error"]["message"]
    assert all(
        r.status == "ACTIVE" for r in await records(tenant.database, tenant.company_id, PHONE)
    )


async def test_notification_language_and_disabled(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    await unsubscribe(client, user={"phone": PHONE}, notification={"language": "fr-CA"})
    [confirmation] = [
        m
        for m in await messages(tenant.database, tenant.company_id, PHONE)
        if m.kind == "OPT_OUT_CONFIRMATION"
    ]
    assert confirmation.locale == "fr-CA"
    assert "désabonné" in confirmation.body

    before = len(await messages(tenant.database, tenant.company_id, PHONE))
    await unsubscribe(client, user={"phone": PHONE}, notification={"disabled": True})
    assert len(await messages(tenant.database, tenant.company_id, PHONE)) == before


async def test_notification_language_is_exact(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await subscribe_active(client, PHONE)
    for language in ("fr-ca", "fr", "de-DE"):
        response = await unsubscribe(
            client, user={"phone": PHONE}, notification={"language": language}
        )
        assert response.status_code == 400
    assert all(
        r.status == "ACTIVE" for r in await records(tenant.database, tenant.company_id, PHONE)
    )


async def test_email_unsubscribe_sends_no_text(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await subscribe_active(client, PHONE, EMAIL)
    await unsubscribe(client, user={"email": EMAIL})
    kinds = [m.kind for m in await messages(tenant.database, tenant.company_id)]
    assert "OPT_OUT_CONFIRMATION" not in kinds


async def test_unknown_contact_is_404_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await unsubscribe(client, user={"phone": PHONE})
    assert response.status_code == 404
    assert await count_rows(tenant.database, tenant.company_id, Event) == 0


async def test_resubscribe_after_opt_out_makes_a_new_record(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    await unsubscribe(client, user={"phone": PHONE})
    response = await subscribe_active(client, PHONE)
    assert statuses(response, "subscriptionCreationStatus") == {
        ("MARKETING", "TEXT"): "NEWLY_CREATED"
    }
    old, new = await records(tenant.database, tenant.company_id, PHONE)
    assert (old.status, new.status) == ("ENDED", "ACTIVE")
    assert old.id != new.id
    assert old.person_id == new.person_id
