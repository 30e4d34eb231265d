"""Message texts: each kind per locale with its source and SMS count, and a form to
change one, preview it as sent, or go back to the built-in text.

The console runs no script, so the count of characters and SMS segments is the
server's, on each round trip: "Preview" shows the typed text filled in and counted
without saving it, "Save" stores it through the same rules as every other door.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import read_form
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.core.errors import InvalidInput
from optledger.core.message_kinds import MessageKind
from optledger.core.templates import MAX_TEMPLATE_LENGTH, PLACEHOLDERS
from optledger.core.use_cases import company_settings
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/templates", include_in_schema=False)
LocaleQuery = Annotated[str, Query(max_length=20)]
KindQuery = Annotated[MessageKind, Query()]
KINDS = {
    MessageKind.CONFIRMATION_PROMPT: "Confirmation prompt",
    MessageKind.WELCOME: "Welcome",
    MessageKind.ALREADY_SUBSCRIBED: "Already subscribed",
    MessageKind.OPT_OUT_CONFIRMATION: "Opt-out confirmation",
    MessageKind.HELP: "Help",
}
DONE = {
    "saved": "Saved: messages sent from now on use this text.",
    "reset": "Back to the built-in text.",
}


def _url(page: str, locale: str, kind: MessageKind, **done: int) -> str:
    """`/console/templates/<page>` for one locale and kind (and what was just done)."""
    return f"/console/templates/{page}?{urlencode({'locale': locale, 'kind': kind.value, **done})}"


@router.get("")
async def templates_table(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every text the company sends, per locale and kind, with its SMS count."""
    company = viewer.current()
    found = await company_settings.list_templates(database, company.id)
    return render(
        "message_texts.html", title="Templates", viewer=viewer, templates=found, kinds=KINDS
    )


async def _form_page(
    viewer: CurrentViewer,
    database: DatabaseDep,
    locale: str,
    kind: MessageKind,
    *,
    typed: str | None = None,
    error: str = "",
    notice: str = "",
) -> Response:
    """The form with `typed` (None: the company's current text), previewed unless
    it was refused (`error`), when it comes back as typed with the reason."""
    company = viewer.current()
    preview = await company_settings.preview_template(
        database, company.id, locale, kind, None if error else typed
    )
    return render(
        "message_text_form.html",
        400 if error else 200,
        title=f"{KINDS[kind]} · {locale}",
        viewer=viewer,
        preview=preview,
        text=preview.text if typed is None else typed,
        error=error,
        notice=notice,
        action=_url("edit", locale, kind),
        reset_action=_url("reset", locale, kind),
        placeholders=sorted(PLACEHOLDERS),
        max_length=MAX_TEMPLATE_LENGTH,
    )


@router.get("/edit")
async def edit_form(
    request: Request,
    locale: LocaleQuery,
    kind: KindQuery,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """The company's current text for a locale and kind, previewed and counted."""
    notice = done_notice(request.query_params, DONE)
    return await _form_page(viewer, database, locale, kind, notice=notice)


@router.post("/edit")
async def preview_or_save(
    request: Request,
    locale: LocaleQuery,
    kind: KindQuery,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """ "Preview": the typed text filled in and counted, not saved. "Save": keep it
    (the audit trail names the operator). Either way a refused text comes back."""
    company = viewer.current()
    form = await read_form(request, viewer.session)
    typed = form.get("text")
    try:
        if form.get("action") == "save":
            await company_settings.set_template(
                database, company.id, locale, kind, typed, actor=viewer.actor
            )
            return RedirectResponse(_url("edit", locale, kind, saved=1), status_code=303)
        return await _form_page(viewer, database, locale, kind, typed=typed)
    except InvalidInput as exc:
        return await _form_page(viewer, database, locale, kind, typed=typed, error=exc.message)


@router.post("/reset")
async def reset_to_built_in(
    request: Request,
    locale: LocaleQuery,
    kind: KindQuery,
    viewer: CurrentViewer,
    database: DatabaseDep,
) -> Response:
    """Drop the company's own text: the built-in one is sent again."""
    company = viewer.current()
    await read_form(request, viewer.session)
    await company_settings.set_template(
        database, company.id, locale, kind, None, actor=viewer.actor
    )
    return RedirectResponse(_url("edit", locale, kind, reset=1), status_code=303)
