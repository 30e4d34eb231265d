"""Subscriber lookup by phone, email or identifier, one subscriber's consent timeline, and
what an operator does to one of their records: unsubscribe it with a reason, or send
a PENDING record's confirmation prompt again."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import read_form, refusal_status
from optledger.console.pages import PAGE_HEADERS, done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.core.contact_points import ContactPoints
from optledger.core.errors import Conflict, InvalidInput, RateLimited
from optledger.core.subscriber_ledger import MAX_QUERY_LENGTH
from optledger.core.subscriptions.by_operator import MAX_REASON
from optledger.core.use_cases.ledger import prove_consent
from optledger.core.use_cases.subscriber_lookup import find_subscribers, get_ledger
from optledger.core.use_cases.subscriptions import (
    RecordRow,
    get_record,
    resend_confirmation,
    unsubscribe_record,
)
from optledger.settings import Settings
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/subscribers", include_in_schema=False)
PersonKey = Annotated[str, Path(min_length=1, max_length=64)]
RecordId = Annotated[int, Path(ge=1, le=2**62)]
DONE = {
    "unsubscribed": "Record #{} ended: the person is no longer subscribed there.",
    "resent": "Record #{}'s confirmation prompt is queued again.",
}


@router.get("")
async def look_up(
    viewer: CurrentViewer,
    database: DatabaseDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_LENGTH)] = "",
) -> Response:
    """A search form; one match opens that subscriber's page."""
    company = viewer.current()
    found = await find_subscribers(database, company.id, q) if q else []
    if len(found) == 1:
        return RedirectResponse(f"/console/subscribers/{quote(found[0].person_key)}", 303)
    return render("subscribers.html", title="Subscribers", viewer=viewer, query=q, found=found)


@router.get("/proof")
async def download_proof(
    viewer: CurrentViewer,
    database: DatabaseDep,
    contact: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
) -> Response:
    """The proof of consent of one of the company's phones or emails, as a download.
    (Person keys are hex, so this path is never one.)"""
    company = viewer.current()
    contacts = (
        ContactPoints.parse(None, contact) if "@" in contact else ContactPoints.parse(contact, None)
    )
    document = await prove_consent(database, company, contacts)
    name = re.sub(r"[^A-Za-z0-9]+", "-", contact).strip("-")
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": f'attachment; filename="proof-of-consent-{name}.json"',
        },
    )


@router.get("/{person_key}")
async def subscriber(
    person_key: PersonKey, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """The person, their attributes and records, and the consent timeline."""
    company = viewer.current()
    ledger = await get_ledger(database, company.id, person_key)
    notice = done_notice(request.query_params, DONE)
    return render(
        "subscriber.html", title="Subscriber", viewer=viewer, ledger=ledger, notice=notice
    )


def _action_page(
    viewer: CurrentViewer,
    person_key: str,
    record: RecordRow,
    action: str,
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    """The question before an action on a record, with its form (and what went wrong)."""
    page = f"/console/subscribers/{quote(person_key)}"
    unsubscribing = action == "unsubscribe"
    return render(
        "record_action.html",
        status,
        title=f"Unsubscribe record #{record.id}?"
        if unsubscribing
        else f"Resend record #{record.id}'s confirmation?",
        viewer=viewer,
        record=record,
        question=(
            f"{record.contact_value} is opted out of {record.type} {record.channel} at once, "
            "as if they had asked, and needs new consent to be messaged again."
            if unsubscribing
            else f"{record.contact_value} gets the confirmation prompt again; the record "
            "stays PENDING until they confirm."
        ),
        action=f"{page}/records/{record.id}/{action}",
        button="Unsubscribe" if unsubscribing else "Resend confirmation",
        asks_reason=unsubscribing,
        max_reason=MAX_REASON,
        values=values or {"reason": "", "notify": True},
        error=error,
        back=page,
    )


@router.get("/{person_key}/records/{record_id}/unsubscribe")
async def unsubscribe_form(
    person_key: PersonKey, record_id: RecordId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask why before ending a record."""
    company = viewer.current()
    record = await get_record(database, company.id, person_key, record_id)
    return _action_page(viewer, person_key, record, "unsubscribe")


@router.post("/{person_key}/records/{record_id}/unsubscribe")
async def unsubscribe(
    person_key: PersonKey,
    record_id: RecordId,
    request: Request,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """End the record through the one opt-out flow, or show the form with what is wrong."""
    company = viewer.current()
    form = await read_form(request, viewer.session)
    reason, notify = form.get("reason"), form.checked("notify")
    try:
        await unsubscribe_record(
            database, company, person_key, record_id, reason, notify=notify, actor=viewer.actor
        )
    except (InvalidInput, Conflict) as exc:
        # The use case found the record (or said `NotFound`): read again only to refuse.
        record = await get_record(database, company.id, person_key, record_id)
        return _action_page(
            viewer,
            person_key,
            record,
            "unsubscribe",
            values={"reason": reason, "notify": notify},
            error=exc.message,
            status=refusal_status(exc),
        )
    return RedirectResponse(
        f"/console/subscribers/{quote(person_key)}?unsubscribed={record_id}", 303
    )


@router.get("/{person_key}/records/{record_id}/resend")
async def resend_question(
    person_key: PersonKey, record_id: RecordId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask before sending a PENDING record's prompt again."""
    company = viewer.current()
    record = await get_record(database, company.id, person_key, record_id)
    return _action_page(viewer, person_key, record, "resend")


@router.post("/{person_key}/records/{record_id}/resend")
async def resend(
    person_key: PersonKey,
    record_id: RecordId,
    request: Request,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """Queue the prompt again, or say why not (another status, a closed window, too soon)."""
    company = viewer.current()
    await read_form(request, viewer.session)
    settings: Settings = request.app.state.settings
    window = timedelta(hours=settings.confirmation_ttl_hours)
    try:
        await resend_confirmation(
            database, company, person_key, record_id, window, actor=viewer.actor
        )
    except (Conflict, RateLimited) as exc:
        record = await get_record(database, company.id, person_key, record_id)
        status = 429 if isinstance(exc, RateLimited) else 409
        return _action_page(viewer, person_key, record, "resend", error=exc.message, status=status)
    return RedirectResponse(f"/console/subscribers/{quote(person_key)}?resent={record_id}", 303)
