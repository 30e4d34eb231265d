"""The message log: the latest texts and emails, with their delivery state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from optledger.console.pages import render
from optledger.console.viewer import CurrentViewer
from optledger.core.use_cases.messages import list_recent_messages
from optledger.web.authentication import DatabaseDep

router = APIRouter(include_in_schema=False)
PAGE = 100


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
