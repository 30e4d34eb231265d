"""The operator's reach over webhook registrations: every company's, by id alone,
and an event's finished deliveries queued again (after a receiver's outage, say)."""

from __future__ import annotations

from optledger.core.companies import get_company_by_key
from optledger.core.errors import NotFound
from optledger.storage.clock import utcnow
from optledger.storage.repositories.webhook_deliveries import (
    LoggedDelivery,
    deliveries_of,
    redeliver,
)
from optledger.storage.repositories.webhooks import WebhookRow, every_webhook
from optledger.storage.sql import Connection


async def registrations_of_companies(
    connection: Connection, company_key: str | None = None
) -> list[tuple[str, WebhookRow]]:
    """Every registration with its company's key, or only those of `company_key`."""
    if company_key is not None:
        # An unknown key is an error, not an empty list that looks like "none yet".
        await get_company_by_key(connection, company_key)
    listed = await every_webhook(connection)
    return [item for item in listed if company_key is None or item[0] == company_key]


async def registration_by_id(connection: Connection, webhook_id: int) -> tuple[str, WebhookRow]:
    """A registration of any company with its company's key; `NotFound` if there is none."""
    # Registrations are few (a handful per company), so the operator's list serves.
    for company_key, webhook in await every_webhook(connection):
        if webhook.id == webhook_id:
            return company_key, webhook
    raise NotFound(f"no webhook has the id {webhook_id}")


async def deliveries_by_registration_id(
    connection: Connection, webhook_id: int, limit: int
) -> tuple[str, WebhookRow, list[LoggedDelivery]]:
    """A registration of any company, its company's key, and its latest deliveries."""
    company_key, webhook = await registration_by_id(connection, webhook_id)
    return company_key, webhook, await deliveries_of(connection, webhook_id, limit)


async def redeliver_event(
    connection: Connection, event_id: int, webhook_id: int | None
) -> list[tuple[int, int]]:
    """Queue an event's finished deliveries (delivered, dead or skipped) again, to every
    registration or to `webhook_id` only (`NotFound` if there is none); returns the
    company and registration of each.

    None queued means an unknown event or deliveries still pending alike.
    """
    if webhook_id is not None:
        await registration_by_id(connection, webhook_id)
    return await redeliver(connection, event_id, webhook_id, utcnow())
