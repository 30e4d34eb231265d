"""Subscriber lookup by phone, email or identifier, and one subscriber's consent timeline."""

from __future__ import annotations

import json
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from starlette.responses import RedirectResponse, Response

from optledger.console.pages import PAGE_HEADERS, render
from optledger.console.viewer import CurrentViewer
from optledger.core.contact_points import ContactPoints
from optledger.core.subscriber_ledger import MAX_QUERY_LENGTH
from optledger.core.use_cases.ledger import prove_consent
from optledger.core.use_cases.subscriber_lookup import find_subscribers, get_ledger
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/subscribers", include_in_schema=False)
PersonKey = Annotated[str, Path(min_length=1, max_length=64)]


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
    person_key: PersonKey, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """The person, their attributes and records, and the consent timeline."""
    company = viewer.current()
    ledger = await get_ledger(database, company.id, person_key)
    return render("subscriber.html", title="Subscriber", viewer=viewer, ledger=ledger)
