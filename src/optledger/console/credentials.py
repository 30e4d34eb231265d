"""Credentials: the company's API keys, legacy tokens and Basic logins; mint and revoke.

A new secret is shown once, in the answer to the form that made it (never cached,
never stored: only its hash is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import Form, read_form
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.scopes import ALL_SCOPES
from optledger.core.errors import InvalidInput
from optledger.core.use_cases.credentials import (
    get_live_credential,
    list_credentials,
    mint_credential,
    revoke_credential,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/credentials", include_in_schema=False)
CredentialId = Annotated[int, Path(ge=1, le=2**62)]
KINDS = [kind.value for kind in CredentialKind]


async def _table(
    viewer: CurrentViewer,
    database: DatabaseDep,
    *,
    typed: Mapping[str, object] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    company = viewer.current()
    found = await list_credentials(database, company.id, with_revoked=True)
    return render(
        "credentials.html",
        status,
        title="Credentials",
        viewer=viewer,
        credentials=found,
        kinds=KINDS,
        scopes=list(ALL_SCOPES),
        typed=typed or {"kind": "api_key", "scopes": []},
        error=error,
        notice=notice,
    )


@router.get("")
async def credentials(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every credential (never a secret), and a form for a new one."""
    notice = done_notice(request.query_params, {"revoked": "Credential {} revoked."})
    return await _table(viewer, database, notice=notice)


def _rate_limit(form: Form) -> int | None:
    raw = form.get("rate_limit").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("a rate limit is a whole number of requests a second")
    return int(raw)


@router.post("")
async def create_credential(
    request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Mint one and show its secret this once."""
    company = viewer.current()
    form = await read_form(request, viewer.session)
    typed = {
        "kind": form.get("kind"),
        "name": form.get("name"),
        "scopes": form.all("scopes"),
        "rate_limit": form.get("rate_limit"),
    }
    try:
        kind = CredentialKind(form.get("kind"))
    except ValueError:
        return await _table(viewer, database, typed=typed, error="choose a kind", status=400)
    try:
        rate_limit = _rate_limit(form)
        scopes = form.all("scopes") if kind == CredentialKind.API_KEY else None
        minted, _ = await mint_credential(
            database,
            company.id,
            kind,
            name=form.get("name").strip() or None,
            scopes=scopes or None,
            rate_limit=rate_limit,
            actor=viewer.actor,
        )
    except InvalidInput as exc:
        return await _table(viewer, database, typed=typed, error=exc.message, status=400)
    return render(
        "credential_created.html", title="Credential created", viewer=viewer, minted=minted
    )


@router.get("/{credential_id}/revoke")
async def revoke_question(
    credential_id: CredentialId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask before revoking one of the company's live credentials."""
    company = viewer.current()
    found = await get_live_credential(database, company.id, credential_id)
    return render(
        "confirm.html",
        title=f"Revoke credential {found.id}?",
        viewer=viewer,
        question=(
            f"Requests with {found.name} ({found.kind}) are refused at once by new server "
            "processes, and by running ones within the credential cache time. Revoking "
            "cannot be undone."
        ),
        action=f"/console/credentials/{found.id}/revoke",
        button="Revoke credential",
        back="/console/credentials",
    )


@router.post("/{credential_id}/revoke")
async def revoke(
    credential_id: CredentialId, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Revoke it."""
    company = viewer.current()
    await read_form(request, viewer.session)
    await revoke_credential(database, company.id, str(credential_id), actor=viewer.actor)
    return RedirectResponse(f"/console/credentials?revoked={credential_id}", status_code=303)
