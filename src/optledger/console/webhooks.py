"""Webhooks and callbacks: forms to register, change, disable and delete them, and
each one's delivery log with a status filter, redelivery and a test event.

Both styles the product has are here: Attentive webhooks (event names, any number)
and Vibes callbacks (one callback type, a method, an optional list filter). The
forms hand what was typed to the use cases the two APIs and the CLI call
(`core.use_cases.webhooks`), so the same rules refuse the same URLs and names. The
signing secret is shown once, in the answer to the form that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import Form, read_form, refusal_status
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer, Viewer
from optledger.core.errors import Conflict, InvalidInput
from optledger.core.use_cases import webhooks
from optledger.core.use_cases.lists import list_lists
from optledger.core.use_cases.webhooks import WebhookRow
from optledger.core.webhooks.registrations import (
    EVENT_NAMES,
    LIST_FILTERED,
    METHODS,
    WebhookSpec,
    WebhookStyle,
    webhook_secret,
)
from optledger.storage.database import Database
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/webhooks", include_in_schema=False)
WebhookId = Annotated[int, Path(ge=1, le=2**62)]
DELETED = {"deleted": "Webhook {} deleted, with its delivery log."}


@dataclass(frozen=True)
class WebhookPath:
    """A registration as the console's paths name it: its style and its id."""

    style: WebhookStyle
    webhook_id: int

    def __str__(self) -> str:
        return f"/console/webhooks/{self.style.value}/{self.webhook_id}"


def webhook_path(style: WebhookStyle, webhook_id: WebhookId) -> WebhookPath:
    """The registration a console path names."""
    return WebhookPath(style, webhook_id)


WebhookPathDep = Annotated[WebhookPath, Depends(webhook_path)]


def _typed(form: Form) -> dict[str, Any]:
    """The form as typed, to fill it in again."""
    return {
        "url": form.get("url"),
        "events": form.all("events"),
        "method": form.get("method", "POST"),
        "list_id": form.get("list_id"),
    }


def _of_webhook(found: WebhookRow) -> dict[str, Any]:
    """A stored registration as the form shows it."""
    list_id = "" if found.list_id is None else str(found.list_id)
    return {"url": found.url, "events": found.events, "method": found.method, "list_id": list_id}


def _changes(style: WebhookStyle, typed: dict[str, Any]) -> dict[str, Any]:
    """The `WebhookSpec` fields the form sets: a callback has one type, a method and
    maybe a list; a webhook has its event names."""
    if style == WebhookStyle.ATTENTIVE:
        return {"url": typed["url"].strip(), "events": typed["events"]}
    raw_list = typed["list_id"].strip()
    if raw_list and not (raw_list.isascii() and raw_list.isdigit() and len(raw_list) <= 18):
        raise InvalidInput("choose a subscription list")
    return {
        "url": typed["url"].strip(),
        "events": typed["events"][:1],
        "method": typed["method"],
        "list_id": int(raw_list) if raw_list else None,
    }


async def _form_page(
    viewer: Viewer,
    database: Database,
    style: WebhookStyle,
    values: dict[str, Any],
    *,
    found: WebhookRow | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    noun = "webhook" if style == WebhookStyle.ATTENTIVE else "callback"
    company = viewer.current()
    return render(
        "webhook_form.html",
        status,
        title=f"Edit {noun} {found.id}" if found is not None else f"New {noun}",
        viewer=viewer,
        style=style.value,
        values=values,
        webhook=found,
        error=error,
        events=sorted(EVENT_NAMES[style]),
        methods=METHODS,
        lists=await list_lists(database, company.id),
        list_filtered=LIST_FILTERED,
    )


@router.get("")
async def webhooks_table(
    request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Webhook and callback registrations, with their state."""
    company = viewer.current()
    found = await webhooks.list_webhooks_of_every_style(database, company.id)
    notice = done_notice(request.query_params, DELETED)
    return render("webhooks.html", title="Webhooks", viewer=viewer, webhooks=found, notice=notice)


@router.get("/new")
async def new_webhook_form(
    viewer: CurrentViewer, database: DatabaseDep, style: WebhookStyle = WebhookStyle.ATTENTIVE
) -> Response:
    """An empty form for a webhook (`?style=attentive`) or a callback (`?style=vibes`)."""
    values = {"url": "", "events": [], "method": "POST", "list_id": ""}
    return await _form_page(viewer, database, style, values)


@router.post("/new")
async def create_webhook(
    request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Register it and show its signing secret this once, or show what is wrong."""
    company = viewer.current()
    form = await read_form(request, viewer.session)
    try:
        style = WebhookStyle(form.get("style"))
    except ValueError:
        raise InvalidInput("choose a webhook or a callback") from None
    typed = _typed(form)
    try:
        spec = WebhookSpec(**_changes(style, typed))
        found = await webhooks.register_webhook(
            database,
            company.id,
            style,
            spec,
            settings=request.app.state.settings,
            actor=viewer.actor,
        )
    except (InvalidInput, Conflict) as exc:
        return await _form_page(
            viewer, database, style, typed, error=exc.message, status=refusal_status(exc)
        )
    return render(
        "webhook_created.html",
        title="Webhook registered",
        viewer=viewer,
        webhook=found,
        secret=webhook_secret(found.signing_key),
    )


@router.get("/{style}/{webhook_id}/edit")
async def edit_webhook_form(
    path: WebhookPathDep, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """The registration's form, filled in."""
    company = viewer.current()
    found = await webhooks.get_webhook(database, company.id, path.style, path.webhook_id)
    return await _form_page(viewer, database, path.style, _of_webhook(found), found=found)


@router.post("/{style}/{webhook_id}/edit")
async def update_webhook(
    path: WebhookPathDep, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Change the URL and what it listens for (its state and secret stay), or show
    what is wrong."""
    company = viewer.current()
    typed = _typed(await read_form(request, viewer.session))
    try:
        await webhooks.amend_webhook(
            database,
            company.id,
            path.style,
            path.webhook_id,
            _changes(path.style, typed),
            settings=request.app.state.settings,
            actor=viewer.actor,
        )
    except (InvalidInput, Conflict) as exc:
        found = await webhooks.get_webhook(database, company.id, path.style, path.webhook_id)
        return await _form_page(
            viewer,
            database,
            path.style,
            typed,
            found=found,
            error=exc.message,
            status=refusal_status(exc),
        )
    return RedirectResponse(f"{path}?updated={path.webhook_id}", status_code=303)


async def _switch(
    request: Request, viewer: Viewer, database: Database, path: WebhookPath, *, disabled: bool
) -> Response:
    company = viewer.current()
    await read_form(request, viewer.session)
    await webhooks.amend_webhook(
        database,
        company.id,
        path.style,
        path.webhook_id,
        {"disabled": disabled},
        settings=request.app.state.settings,
        actor=viewer.actor,
    )
    done = "disabled" if disabled else "enabled"
    return RedirectResponse(f"{path}?{done}={path.webhook_id}", status_code=303)


@router.post("/{style}/{webhook_id}/disable")
async def disable_webhook(
    path: WebhookPathDep, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Disable a registration: nothing is sent to it, its deliveries wait."""
    return await _switch(request, viewer, database, path, disabled=True)


@router.post("/{style}/{webhook_id}/enable")
async def enable_webhook(
    path: WebhookPathDep, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Enable it again: its waiting deliveries go out, its circuit breaker closed."""
    return await _switch(request, viewer, database, path, disabled=False)


@router.get("/{style}/{webhook_id}/delete")
async def delete_question(
    path: WebhookPathDep, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask before deleting."""
    company = viewer.current()
    found = await webhooks.get_webhook(database, company.id, path.style, path.webhook_id)
    return render(
        "confirm.html",
        title=f"Delete webhook {found.id}?",
        viewer=viewer,
        question=(
            f"Nothing more is sent to {found.url}, and its delivery log is deleted with it. "
            "Deleting cannot be undone; disabling it keeps both."
        ),
        action=f"{path}/delete",
        button="Delete webhook",
        back=str(path),
    )


@router.post("/{style}/{webhook_id}/delete")
async def delete_webhook(
    path: WebhookPathDep, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Delete it with its delivery log."""
    company = viewer.current()
    await read_form(request, viewer.session)
    await webhooks.remove_webhook(
        database, company.id, path.style, path.webhook_id, actor=viewer.actor
    )
    return RedirectResponse(f"/console/webhooks?deleted={path.webhook_id}", status_code=303)
