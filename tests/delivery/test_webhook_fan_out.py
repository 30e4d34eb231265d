"""Consent changes fan out to the webhooks listening for them, in the change's own
transaction, from every door (the groundwork of webhook delivery)."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle, register_webhook
from optledger.storage.clock import utcnow
from optledger.storage.repositories.webhooks import (
    delete_webhook,
    disable_webhook,
    webhooks_of,
)
from optledger.storage.tables import WebhookDelivery
from tests.conftest import Tenant
from tests.support.helpers import subscribe, subscribe_active, text_in

PHONE = "+19148440181"
EVENTS = ["sms.subscribed", "sms.unsubscribed", "custom_attribute.set"]


async def register(tenant: Tenant, events: list[str] = EVENTS) -> int:
    spec = WebhookSpec(url="https://192.0.2.10/consent", events=events)
    found = await tenant.database.run(
        lambda connection: register_webhook(
            connection, tenant.company_id, WebhookStyle.ATTENTIVE, spec
        )
    )
    return found.id


async def fanned(tenant: Tenant, webhook_id: int) -> list[str]:
    async def query(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id)
        )
        deliveries = list(rows)
        # One person: their deliveries form one line, whatever the channel.
        assert len({row.subscriber for row in deliveries}) <= 1
        return [row.name for row in deliveries]

    return await tenant.database.inspect(query)


async def test_each_consent_change_is_one_delivery_to_each_listener(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first, second = await register(tenant), await register(tenant, EVENTS[:1])
    await subscribe_active(client, PHONE)
    # A repeat is no change; an email subscription is not what these listen for.
    await subscribe(client, PHONE, singleOptIn=True)
    await subscribe(client, email="fan.out@example.com", singleOptIn=True)
    await client.post(
        "/v1/attributes/custom", json={"properties": {"tier": "gold"}, "user": {"phone": PHONE}}
    )
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    assert await fanned(tenant, first) == [
        "sms.subscribed",
        "custom_attribute.set",
        "sms.unsubscribed",
    ]
    assert await fanned(tenant, second) == ["sms.subscribed"]


async def test_a_prompt_is_no_subscription_until_it_is_confirmed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    webhook = await register(tenant)
    await subscribe(client, PHONE)
    assert await fanned(tenant, webhook) == []
    await text_in(client, tenant.key, PHONE, "Y")
    await text_in(client, tenant.key, PHONE, "STOP")
    assert await fanned(tenant, webhook) == [
        "sms.subscribed",
        "sms.unsubscribed",
    ]


async def test_disabled_and_deleted_webhooks_get_nothing_more(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    disabled, deleted = await register(tenant), await register(tenant)
    await tenant.database.run(
        lambda connection: disable_webhook(connection, disabled, "gone", utcnow())
    )
    await tenant.database.run(
        lambda connection: delete_webhook(connection, tenant.company_id, deleted)
    )
    await subscribe_active(client, PHONE)
    assert await fanned(tenant, disabled) == []
    listed = await tenant.database.run(
        lambda connection: webhooks_of(connection, tenant.company_id, "attentive")
    )
    assert [(w.id, w.disabled_reason) for w in listed] == [(disabled, "gone")]
