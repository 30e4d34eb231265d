"""Pages that show what is there: lists with their sizes, the message log, webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from optledger.console.pages import render
from optledger.console.viewer import CurrentViewer
from optledger.core.use_cases.lists import lists_and_sizes
from optledger.core.use_cases.messages import list_recent_messages
from optledger.core.use_cases.webhooks import (
    list_webhooks_of_every_style,
    webhook_with_deliveries,
)
from optledger.core.webhooks.registrations import WebhookStyle
from optledger.web.authentication import DatabaseDep

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/lists")
async def lists(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every list with its ACTIVE subscribers."""
    company = viewer.current()
    found = await lists_and_sizes(database, company.id)
    return render("lists.html", title="Subscription lists", viewer=viewer, lists=found)


@router.get("/messages")
async def messages(
    viewer: CurrentViewer,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> Response:
    """The latest texts and emails, with their delivery state."""
    company = viewer.current()
    found = await list_recent_messages(database, company.id, limit)
    return render("messages.html", title="Message log", viewer=viewer, messages=found)


@router.get("/webhooks")
async def webhooks(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Webhook and callback registrations, with their state."""
    company = viewer.current()
    found = await list_webhooks_of_every_style(database, company.id)
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
    webhook, deliveries = await webhook_with_deliveries(
        database, company.id, style, webhook_id, PAGE
    )
    return render(
        "webhook.html", title="Webhook deliveries", viewer=viewer, webhook=webhook, log=deliveries
    )
