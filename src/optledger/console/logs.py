"""Pages that show what is there: lists with their sizes, the message log, webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from optledger.console.pages import render
from optledger.console.viewer import CurrentViewer
from optledger.core.message_log import recent_messages
from optledger.core.subscription_lists import lists_with_sizes
from optledger.core.webhooks.registrations import (
    WebhookStyle,
    delivery_log,
    get_webhook,
    list_webhooks,
)
from optledger.storage.repositories.webhook_deliveries import LoggedDelivery
from optledger.storage.repositories.webhooks import WebhookRow
from optledger.storage.sql import Connection
from optledger.web.authentication import DatabaseDep

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/lists")
async def lists(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every list with its ACTIVE subscribers."""
    company = viewer.current()
    found = await database.read(lambda c: lists_with_sizes(c, company.id), standby=True)
    return render("lists.html", title="Subscription lists", viewer=viewer, lists=found)


@router.get("/messages")
async def messages(
    viewer: CurrentViewer,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> Response:
    """The latest texts and emails, with their delivery state."""
    company = viewer.current()
    found = await database.read(lambda c: recent_messages(c, company.id, limit=limit), standby=True)
    return render("messages.html", title="Message log", viewer=viewer, messages=found)


@router.get("/webhooks")
async def webhooks(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Webhook and callback registrations, with their state."""
    company = viewer.current()

    async def read(connection: Connection) -> list[WebhookRow]:
        found: list[WebhookRow] = []
        for style in WebhookStyle:
            found += await list_webhooks(connection, company.id, style)
        return found

    found = await database.read(read, standby=True)
    return render("webhooks.html", title="Webhooks", viewer=viewer, webhooks=found)


@router.get("/webhooks/{style}/{webhook_id}")
async def webhook_deliveries(
    style: WebhookStyle,
    webhook_id: Annotated[int, Path(ge=1, le=2**62)],
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """One registration's delivery log, newest first."""
    company = viewer.current()

    async def read(connection: Connection) -> tuple[WebhookRow, list[LoggedDelivery]]:
        webhook = await get_webhook(connection, company.id, style, webhook_id)
        return webhook, await delivery_log(connection, company.id, style, webhook_id, PAGE)

    webhook, deliveries = await database.read(read, standby=True)
    return render(
        "webhook.html", title="Webhook deliveries", viewer=viewer, webhook=webhook, log=deliveries
    )
