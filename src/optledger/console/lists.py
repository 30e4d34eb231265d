"""Subscription lists: every list with its size, and forms to make, change and archive one.

The forms hand what was typed to the same use cases as the management API and the
CLI (`core.use_cases.lists`); a refused form comes back with the rule's message and
every field as typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import read_form, refusal_status
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Conflict, InvalidInput
from optledger.core.use_cases import lists
from optledger.core.use_cases.lists import ListRow
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/lists", include_in_schema=False)
ListId = Annotated[int, Path(ge=1, le=2**62)]
CHOICES = {
    "types": [kind.value for kind in SubscriptionType],
    "channels": [channel.value for channel in Channel],
}
DONE = {
    "created": "List {} created.",
    "updated": "List {} saved.",
    "archived": "List {} archived.",
}


def _form_page(
    viewer: CurrentViewer,
    values: dict[str, Any],
    *,
    found: ListRow | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return render(
        "list_form.html",
        status,
        title=f"Edit {found.name}" if found is not None else "New subscription list",
        viewer=viewer,
        values=values,
        list=found,
        error=error,
        choices=CHOICES,
    )


@router.get("")
async def lists_table(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every list with its ACTIVE subscribers."""
    company = viewer.current()
    found = await lists.lists_and_sizes(database, company.id)
    notice = done_notice(request.query_params, DONE)
    return render(
        "lists.html", title="Subscription lists", viewer=viewer, lists=found, notice=notice
    )


@router.get("/new")
async def new_list_form(viewer: CurrentViewer) -> Response:
    """An empty form."""
    viewer.current()
    return _form_page(viewer, {"type": "MARKETING", "channel": "TEXT"})


@router.post("/new")
async def create_list(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Create the list, or show the form again with what is wrong."""
    company = viewer.current()
    form = await read_form(request, viewer.session)
    typed = {name: form.get(name) for name in ("name", "description", "type", "channel")}
    try:
        sub_type, channel = SubscriptionType(typed["type"]), Channel(typed["channel"])
    except ValueError:
        return _form_page(viewer, typed, error="choose a type and a channel", status=400)
    try:
        made = await lists.add_list(
            database,
            company.id,
            name=typed["name"],
            sub_type=sub_type,
            channel=channel,
            description=typed["description"],
            actor=viewer.actor,
        )
    except (InvalidInput, Conflict) as exc:
        return _form_page(viewer, typed, error=exc.message, status=refusal_status(exc))
    return RedirectResponse(f"/console/lists?created={made.id}", status_code=303)


def _of_list(found: ListRow) -> dict[str, Any]:
    return {
        "name": found.name,
        "description": found.description,
        "type": found.type,
        "channel": found.channel,
    }


@router.get("/{list_id}/edit")
async def edit_list_form(list_id: ListId, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """The list's form, filled in: its name and description (its type and channel are
    what it is)."""
    company = viewer.current()
    found = await lists.get_list(database, company.id, list_id)
    return _form_page(viewer, _of_list(found), found=found)


@router.post("/{list_id}/edit")
async def update_list(
    list_id: ListId, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Rename the list or change its description, or show what is wrong."""
    company = viewer.current()
    found = await lists.get_list(database, company.id, list_id)
    form = await read_form(request, viewer.session)
    typed = _of_list(found) | {"name": form.get("name"), "description": form.get("description")}
    try:
        await lists.update_list(
            database,
            company.id,
            list_id,
            name=typed["name"],
            description=typed["description"],
            actor=viewer.actor,
        )
    except (InvalidInput, Conflict) as exc:
        return _form_page(viewer, typed, found=found, error=exc.message, status=refusal_status(exc))
    return RedirectResponse(f"/console/lists?updated={list_id}", status_code=303)


@router.get("/{list_id}/archive")
async def archive_list_question(
    list_id: ListId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask before archiving."""
    company = viewer.current()
    found = await lists.get_list(database, company.id, list_id)
    return render(
        "confirm.html",
        title=f"Archive {found.name}?",
        viewer=viewer,
        question=(
            f"List {found.id} stops taking new subscriptions. Its records, and their "
            "evidence, stay. Archiving cannot be undone."
        ),
        action=f"/console/lists/{found.id}/archive",
        button="Archive list",
        back="/console/lists",
    )


@router.post("/{list_id}/archive")
async def archive_list(
    list_id: ListId, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Archive the list (a default list is refused: new subscriptions join it)."""
    company = viewer.current()
    await read_form(request, viewer.session)
    await lists.archive(database, company.id, list_id, actor=viewer.actor)
    return RedirectResponse(f"/console/lists?archived={list_id}", status_code=303)
