"""Webhook deliveries, the same from every door: a registration's delivery log, test
events, and an event's finished deliveries queued again (after a receiver's outage)."""

from __future__ import annotations

from optledger.core.audit import Actor, Changes, record_change
from optledger.core.context import RequestContext
from optledger.core.webhooks import across_companies, registrations
from optledger.core.webhooks.registrations import WebhookStyle
from optledger.storage.database import Database
from optledger.storage.repositories.webhook_deliveries import LoggedDelivery as LoggedDelivery
from optledger.storage.repositories.webhooks import WebhookRow
from optledger.storage.sql import Connection


def _event_changes(event_id: int) -> Changes:
    """An audit entry's note of the event an operator sent, or sent again."""
    return {"event": {"before": None, "after": f"evt_{event_id}"}}


async def _send_test(
    connection: Connection,
    actor: Actor | None,
    webhook: WebhookRow,
    context: RequestContext,
) -> int:
    """Queue a test event for a registration and record who did; the event's id."""
    style = WebhookStyle(webhook.style)
    event_id = await registrations.send_test_event(
        connection, webhook.company_id, style, webhook.id, context
    )
    changes = _event_changes(event_id)
    await record_change(
        connection, actor, webhook.company_id, "webhook.test_sent", "webhook", webhook.id, changes
    )
    return event_id


async def send_test_event(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    context: RequestContext,
    *,
    actor: Actor | None = None,
) -> int:
    """Queue a test event for one registration, delivered like any other; its id."""

    async def send(connection: Connection) -> int:
        webhook = await registrations.get_webhook(connection, company_id, style, webhook_id)
        return await _send_test(connection, actor, webhook, context)

    return await database.run(send)


async def send_test_event_by_id(
    database: Database, webhook_id: int, context: RequestContext, *, actor: Actor | None
) -> tuple[str, int]:
    """Queue a test event for a registration of any company, found by its id alone;
    its company's key and the event's id."""

    async def send(connection: Connection) -> tuple[str, int]:
        company_key, webhook = await across_companies.registration_by_id(connection, webhook_id)
        return company_key, await _send_test(connection, actor, webhook, context)

    return await database.run(send)


async def _record_redelivered(
    connection: Connection, actor: Actor | None, event_id: int, queued: list[tuple[int, int]]
) -> int:
    """Record each registration an event was queued for again; how many."""
    for company_id, webhook_id in queued:
        changes = _event_changes(event_id)
        await record_change(
            connection, actor, company_id, "webhook.redelivered", "webhook", webhook_id, changes
        )
    return len(queued)


async def redeliver_to_webhook(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    event_id: int,
    *,
    actor: Actor | None,
) -> int:
    """Queue an event's finished delivery to one of the company's registrations again;
    how many were queued (none for an unknown event or one still pending)."""

    async def send_again(connection: Connection) -> int:
        queued = await registrations.redeliver_to(
            connection, company_id, style, webhook_id, event_id
        )
        return await _record_redelivered(connection, actor, event_id, queued)

    return await database.run(send_again)


async def delivery_log(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    limit: int,
    before: int | None = None,
) -> list[LoggedDelivery]:
    """A registration's deliveries, newest first, `limit` of those before id `before`."""
    return await database.read(
        lambda connection: registrations.delivery_log(
            connection, company_id, style, webhook_id, limit, before
        )
    )


async def webhook_with_deliveries(
    database: Database,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    limit: int,
    status: str | None = None,
) -> tuple[WebhookRow, list[LoggedDelivery]]:
    """A registration of the company and its latest deliveries (of one status, or all),
    as an operator reads them."""

    async def read(connection: Connection) -> tuple[WebhookRow, list[LoggedDelivery]]:
        webhook = await registrations.get_webhook(connection, company_id, style, webhook_id)
        log = await registrations.delivery_log(
            connection, company_id, style, webhook_id, limit, status=status
        )
        return webhook, log

    return await database.read(read, standby=True)


async def deliveries_by_registration_id(
    database: Database, webhook_id: int, limit: int
) -> tuple[str, WebhookRow, list[LoggedDelivery]]:
    """A registration of any company by its id alone, its company's key, and its
    latest deliveries, newest first."""
    return await database.read(
        lambda connection: across_companies.deliveries_by_registration_id(
            connection, webhook_id, limit
        ),
        standby=True,
    )


async def redeliver_event(
    database: Database, event_id: int, webhook_id: int | None = None, *, actor: Actor | None
) -> int:
    """Queue an event's finished deliveries again, to every registration or one;
    returns how many (none for an unknown event and for one still pending alike)."""

    async def send_again(connection: Connection) -> int:
        queued = await across_companies.redeliver_event(connection, event_id, webhook_id)
        return await _record_redelivered(connection, actor, event_id, queued)

    return await database.run(send_again)
