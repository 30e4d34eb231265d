"""Subscriber lookup by phone, email or identifier, and one subscriber's consent timeline."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from starlette.responses import RedirectResponse, Response

from optledger.console.pages import render
from optledger.console.viewer import CurrentViewer
from optledger.core.subscriber_ledger import MAX_QUERY_LENGTH
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


@router.get("/{person_key}")
async def subscriber(
    person_key: PersonKey, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """The person, their attributes and records, and the consent timeline."""
    company = viewer.current()
    ledger = await get_ledger(database, company.id, person_key)
    return render("subscriber.html", title="Subscriber", viewer=viewer, ledger=ledger)
