"""A webhook's page: what it is, its delivery log with a status filter, "Redeliver" on
a finished delivery, and "Send test event"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import read_form
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.console.webhooks import WebhookPathDep
from optledger.core.context import RequestContext
from optledger.core.use_cases import webhook_deliveries
from optledger.core.webhooks.registrations import DELIVERY_STATUSES
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/webhooks", include_in_schema=False)
EventId = Annotated[int, Path(ge=1, le=2**62)]
PAGE = 100
# Where a test event comes from, in its evidence.
SOURCE = "console"
DONE = {
    "tested": "Test event evt_{} queued: it is delivered like any other event.",
    "redelivered": "Event evt_{} queued again.",
    "still_pending": "Event evt_{} was not queued again: its delivery is still pending.",
    "updated": "Webhook {} saved.",
    "disabled": "Webhook {} disabled: nothing is sent to it until it is enabled again.",
    "enabled": "Webhook {} enabled: its waiting deliveries go out again.",
}


@router.get("/{style}/{webhook_id}")
async def webhook_page(
    path: WebhookPathDep,
    request: Request,
    viewer: CurrentViewer,
    database: DatabaseDep,
    status: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One registration, its actions, and its delivery log (of one status, or all),
    newest first."""
    company = viewer.current()
    found, log = await webhook_deliveries.webhook_with_deliveries(
        database, company.id, path.style, path.webhook_id, PAGE, status or None
    )
    return render(
        "webhook.html",
        title=f"Webhook {found.id}",
        viewer=viewer,
        webhook=found,
        path=str(path),
        log=log,
        wanted=status,
        statuses=DELIVERY_STATUSES,
        notice=done_notice(request.query_params, DONE),
    )


@router.post("/{style}/{webhook_id}/test")
async def send_test_event(
    path: WebhookPathDep, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Queue a test event for it, delivered (signed, retried, logged) like any other."""
    company = viewer.current()
    await read_form(request, viewer.session)
    context = RequestContext(
        source=SOURCE, client_ip=viewer.client_ip, user_agent=request.headers.get("user-agent")
    )
    event_id = await webhook_deliveries.send_test_event(
        database, company.id, path.style, path.webhook_id, context, actor=viewer.actor
    )
    return RedirectResponse(f"{path}?tested={event_id}", status_code=303)


@router.post("/{style}/{webhook_id}/deliveries/{event_id}/redeliver")
async def redeliver(
    path: WebhookPathDep,
    event_id: EventId,
    request: Request,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """Queue an event's finished delivery to it again (after the receiver was fixed)."""
    company = viewer.current()
    await read_form(request, viewer.session)
    queued = await webhook_deliveries.redeliver_to_webhook(
        database, company.id, path.style, path.webhook_id, event_id, actor=viewer.actor
    )
    done = "redelivered" if queued else "still_pending"
    return RedirectResponse(f"{path}?{done}={event_id}", status_code=303)
