"""The audit trail page: who changed what in the company, newest first."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.responses import Response

from optledger.console.pages import render
from optledger.console.viewer import CurrentViewer
from optledger.core.use_cases.audit import AuditFilter, list_audit
from optledger.web.authentication import DatabaseDep

router = APIRouter(include_in_schema=False)
PAGE = 100

Filter = Annotated[str, Query(max_length=200)]


@router.get("/audit")
async def audit_trail(
    viewer: CurrentViewer,
    database: DatabaseDep,
    actor: Filter = "",
    object_type: Filter = "",
    object_id: Filter = "",
    before: Annotated[int, Query(ge=1, le=2**62)] = 2**62,
) -> Response:
    """The company's audit trail, filtered by operator and by object, a page at a time."""
    company = viewer.current()
    typed = {
        "actor": actor.strip(),
        "object_type": object_type.strip(),
        "object_id": object_id.strip(),
    }
    wanted = AuditFilter(
        company_id=company.id,
        actor=typed["actor"] or None,
        object_type=typed["object_type"] or None,
        object_id=typed["object_id"] or None,
        before=before,
        limit=PAGE,
    )
    entries = await list_audit(database, wanted)
    older = None
    if len(entries) == PAGE:
        given = {name: value for name, value in typed.items() if value}
        older = "/console/audit?" + urlencode({**given, "before": entries[-1].id})
    return render(
        "audit.html",
        title="Audit trail",
        viewer=viewer,
        entries=entries,
        typed=typed,
        older=older,
    )
