"""Sign-up Units: the table with the ID to copy into API calls, and forms to make and change one.

The forms hand what was typed to the core's own rules (`core.sign_up_units`); a
refused form comes back with the rule's message and every field as it was typed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.forms import Form, read_form, refusal_status
from optledger.console.pages import done_notice, render
from optledger.console.viewer import CurrentViewer
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Conflict, InvalidInput
from optledger.core.sign_up_units import TEXTS, Locale, UnitSpec
from optledger.core.unit_methods import METHODS
from optledger.core.use_cases import units
from optledger.core.use_cases.units import UnitRow
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/units", include_in_schema=False)
UnitId = Annotated[int, Path(ge=1, le=2**62)]
SWITCHES = (
    "double_opt_in",
    "email_double_opt_in",
    "allow_single_opt_in",
    "welcome_on_single_opt_in",
)
CHOICES = {
    "types": [kind.value for kind in SubscriptionType],
    "channels": [channel.value for channel in Channel],
    "methods": [method for method in METHODS if method != "IMPORT"],
}


def _typed(form: Form) -> dict[str, Any]:
    """The form as typed, to fill it in again."""
    values: dict[str, Any] = {
        name: form.get(name) for name in ("name", "type", "language", "country", "method")
    }
    values |= {name: form.get(name) for name in (*TEXTS, "keywords")}
    values |= {name: form.checked(name) for name in SWITCHES}
    values["channels"] = form.all("channels")
    return values


def _of_unit(unit: UnitRow) -> dict[str, Any]:
    """A stored unit as the form shows it."""
    values: dict[str, Any] = {
        "name": unit.name,
        "type": unit.subscription_type,
        "language": unit.language,
        "country": unit.country,
        "method": unit.method,
        "keywords": ", ".join(unit.keywords),
        "channels": list(unit.channels),
    }
    values |= {name: getattr(unit, name) or "" for name in TEXTS}
    values |= {name: getattr(unit, name) for name in SWITCHES}
    return values


def _enum(kind: type[Any], value: str, what: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"choose a {what}") from None


def _changes(typed: dict[str, Any]) -> dict[str, Any]:
    """What the core's `update_sign_up_unit` takes from the form."""
    changes: dict[str, Any] = {
        "name": typed["name"],
        "channels": [_enum(Channel, value, "channel") for value in typed["channels"]],
        "language": typed["language"],
        "country": typed["country"],
        "keywords": [word for word in re.split(r"[\s,]+", typed["keywords"]) if word],
    }
    changes |= {name: typed[name] for name in TEXTS}
    changes |= {name: typed[name] for name in SWITCHES}
    return changes


def _spec(typed: dict[str, Any]) -> UnitSpec:
    changes = _changes(typed)
    locale = Locale(changes.pop("language"), changes.pop("country"))
    return UnitSpec(
        subscription_type=_enum(SubscriptionType, typed["type"], "type"),
        method=typed["method"],
        locale=locale,
        **changes,
    )


def _form_page(
    viewer: CurrentViewer,
    values: dict[str, Any],
    *,
    unit: UnitRow | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    title = f"Edit {unit.name}" if unit is not None else "New sign-up unit"
    return render(
        "unit_form.html",
        status,
        title=title,
        viewer=viewer,
        values=values,
        unit=unit,
        error=error,
        choices=CHOICES,
    )


DONE = {
    "created": "Unit {} created: its ID is the signUpSourceId to send.",
    "updated": "Unit {} saved.",
    "archived": "Unit {} archived.",
}


@router.get("")
async def units_table(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Every unit of the company, with its ID."""
    company = viewer.current()
    found = await units.list_units(database, company.id)
    notice = done_notice(request.query_params, DONE)
    return render("units.html", title="Sign-up Units", viewer=viewer, units=found, notice=notice)


@router.get("/new")
async def new_unit_form(viewer: CurrentViewer) -> Response:
    """An empty form, with the usual defaults."""
    viewer.current()
    values = {
        "type": "MARKETING",
        "channels": ["TEXT"],
        "language": "en",
        "country": "US",
        "method": "API",
        "double_opt_in": True,
        "welcome_on_single_opt_in": True,
    }
    return _form_page(viewer, values)


@router.post("/new")
async def create_unit(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Create the unit, or show the form again with what is wrong."""
    company = viewer.current()
    typed = _typed(await read_form(request, viewer.session))
    try:
        unit = await units.create_unit(database, company.id, _spec(typed), actor=viewer.actor)
    except (InvalidInput, Conflict) as exc:
        return _form_page(viewer, typed, error=exc.message, status=refusal_status(exc))
    return RedirectResponse(f"/console/units?created={unit.id}", status_code=303)


@router.get("/{unit_id}/edit")
async def edit_unit_form(unit_id: UnitId, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """The unit's form, filled in."""
    company = viewer.current()
    unit = await units.get_unit(database, company.id, unit_id)
    return _form_page(viewer, _of_unit(unit), unit=unit)


@router.post("/{unit_id}/edit")
async def update_unit(
    unit_id: UnitId, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Change the unit (new consent gets the new texts), or show what is wrong."""
    company = viewer.current()
    unit = await units.get_unit(database, company.id, unit_id)
    typed = _typed(await read_form(request, viewer.session))
    typed |= {"type": unit.subscription_type, "method": unit.method}
    try:
        await units.update_unit(database, company.id, unit_id, _changes(typed), actor=viewer.actor)
    except (InvalidInput, Conflict) as exc:
        return _form_page(viewer, typed, unit=unit, error=exc.message, status=refusal_status(exc))
    return RedirectResponse(f"/console/units?updated={unit_id}", status_code=303)


@router.get("/{unit_id}/archive")
async def archive_unit_question(
    unit_id: UnitId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Ask before archiving."""
    company = viewer.current()
    unit = await units.get_unit(database, company.id, unit_id)
    return render(
        "confirm.html",
        title=f"Archive {unit.name}?",
        viewer=viewer,
        question=(
            f"Unit {unit.id} stops taking new consent at once. Records it collected, "
            "and their evidence, stay. Archiving cannot be undone."
        ),
        action=f"/console/units/{unit.id}/archive",
        button="Archive unit",
        back="/console/units",
    )


@router.post("/{unit_id}/archive")
async def archive_unit(
    unit_id: UnitId, request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Archive the unit."""
    company = viewer.current()
    await read_form(request, viewer.session)
    await units.archive_unit(database, company.id, unit_id, actor=viewer.actor)
    return RedirectResponse(f"/console/units?archived={unit_id}", status_code=303)
