"""Callbacks (`/config/callbacks`): where a company wants one kind of change sent, in
the Vibes shape, and a test event for one of them.

A callback is a webhook registration of the Vibes style with one callback type,
optionally filtered to one subscription list and limited to a time window; the
rules (names, methods, windows, where a URL may lead) are the core's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from optledger.core.errors import InvalidInput, NotFound, OptledgerError
from optledger.core.ids import MAX_STORED_ID, parse_stored_id
from optledger.core.use_cases import webhook_deliveries, webhooks
from optledger.core.use_cases.webhooks import WebhookRow
from optledger.core.webhooks.registrations import (
    EVENT_NAMES,
    WebhookSpec,
    WebhookStyle,
    spec_of,
    webhook_secret,
)
from optledger.dialects.vibes.dependencies import (
    PREFIX,
    CompanyKey,
    VibesPrincipal,
    vibes_context,
    vibes_time,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix=f"{PREFIX}/{{company_key}}/config", tags=["Vibes callbacks"])
STYLE = WebhookStyle.VIBES
CALLBACK_TYPES = sorted(EVENT_NAMES[STYLE])
NO_CALLBACK: dict[int | str, dict[str, Any]] = {
    404: {"description": "The company has no callback with this id."}
}

EXAMPLE: dict[str, Any] = {
    "callback_type": "subscription_added",
    "destination": {"url": "https://hooks.example.com/vibes", "method": "POST"},
    "subscription_added": {"list_id": "1"},
    "start_date": "2017-01-15T15:34Z",
}

# Vibes ids travel as strings or numbers.
IdValue = Annotated[int, Field(ge=1, le=MAX_STORED_ID)] | Annotated[str, Field(max_length=20)]
CallbackIdPath = Annotated[str, Path(min_length=1, max_length=20)]
DateText = Annotated[str, Field(max_length=40, examples=["2017-01-15T15:34Z"])]


class ListFilterIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    list_id: IdValue


class DestinationIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    method: Literal["POST", "PUT"] = "POST"
    content_type: Literal["application/json"] = "application/json"


class CallbackIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore", strict=True, json_schema_extra={"examples": [EXAMPLE]}
    )

    # Checked by the core, which names the known types in its answer.
    callback_type: Annotated[str, Field(max_length=64, json_schema_extra={"enum": CALLBACK_TYPES})]
    destination: DestinationIn
    subscription_added: ListFilterIn | None = None
    subscription_removed: ListFilterIn | None = None
    start_date: DateText | None = None
    end_date: DateText | None = None


class DestinationOut(BaseModel):
    url: str
    method: str
    content_type: str


class ListFilterOut(BaseModel):
    list_id: str


class CallbackOut(BaseModel):
    callback_id: str
    callback_type: str
    destination: DestinationOut
    # Present only on a callback filtered to one list.
    subscription_added: ListFilterOut | None = None
    subscription_removed: ListFilterOut | None = None
    start_date: str | None
    end_date: str | None
    url: str


class CreatedCallbackOut(CallbackOut):
    # Shown in this answer only.
    secret: str
    webhook_secret: str


class CallbackTestIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    callback_id: IdValue


class CallbackTestOut(BaseModel):
    event_id: str
    callback_id: str


def _id(value: int | str, refusal: OptledgerError) -> int:
    """A stored id from a Vibes id, a string or a number; `refusal` if it cannot be one."""
    number = parse_stored_id(value)
    if number is None:
        raise refusal
    return number


def _callback_id(value: int | str) -> int:
    return _id(value, NotFound("callback not found"))


def _date(name: str, text: str | None) -> datetime | None:
    """An ISO 8601 moment (`2017-01-15T15:34Z`); without an offset it is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        # An offset can carry a moment past the calendar's ends.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{name} must be an ISO 8601 date and time") from None


def _list_filter(body: CallbackIn) -> int | None:
    """The list a callback is limited to, given under its own callback type."""
    filters = {
        "subscription_added": body.subscription_added,
        "subscription_removed": body.subscription_removed,
    }
    for name, given in filters.items():
        if given is not None and name != body.callback_type:
            raise InvalidInput(f"{name} filters only {name} callbacks")
    found = filters.get(body.callback_type)
    if found is None:
        return None
    return _id(found.list_id, InvalidInput(f"subscription list {found.list_id!r} does not exist"))


def _spec(body: CallbackIn) -> WebhookSpec:
    """The registration a body asks for."""
    return WebhookSpec(
        url=body.destination.url,
        events=[body.callback_type],
        method=body.destination.method,
        content_type=body.destination.content_type,
        starts_at=_date("start_date", body.start_date),
        ends_at=_date("end_date", body.end_date),
        list_id=_list_filter(body),
    )


def _fields(company_key: str, found: WebhookRow) -> dict[str, Any]:
    spec = spec_of(found)
    callback_type = spec.events[0] if spec.events else ""
    fields: dict[str, Any] = {
        "callback_id": str(found.id),
        "callback_type": callback_type,
        "destination": {"url": spec.url, "method": spec.method, "content_type": spec.content_type},
        "start_date": vibes_time(spec.starts_at),
        "end_date": vibes_time(spec.ends_at),
        "url": f"{PREFIX}/{company_key}/config/callbacks/{found.id}",
    }
    # Only subscription callbacks take a filter, named under their type.
    if spec.list_id is not None:
        fields[callback_type] = {"list_id": str(spec.list_id)}
    return fields


@router.post("/callbacks/", status_code=201, response_model_exclude_unset=True)
async def create_callback(
    company_key: CompanyKey,
    body: CallbackIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> CreatedCallbackOut:
    """Register a callback of one type; its secret is shown in this answer only.

    Nothing is sent to the URL now.
    """
    found = await webhooks.register_webhook(
        database,
        principal.company.id,
        STYLE,
        _spec(body),
        settings=request.app.state.settings,
        actor=None,
    )
    shown_once = {"secret": found.signing_key, "webhook_secret": webhook_secret(found.signing_key)}
    return CreatedCallbackOut.model_validate({**_fields(company_key, found), **shown_once})


@router.get("/callbacks/", response_model_exclude_unset=True)
async def list_callbacks(
    company_key: CompanyKey, principal: VibesPrincipal, database: DatabaseDep
) -> list[CallbackOut]:
    """The company's callbacks, oldest first."""
    found = await webhooks.list_webhooks(database, principal.company.id, STYLE)
    return [CallbackOut.model_validate(_fields(company_key, row)) for row in found]


@router.get("/callbacks/{callback_id}", response_model_exclude_unset=True)
async def get_callback(
    company_key: CompanyKey,
    callback_id: CallbackIdPath,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> CallbackOut:
    """One callback of the company."""
    found = await webhooks.get_webhook(
        database, principal.company.id, STYLE, _callback_id(callback_id)
    )
    return CallbackOut.model_validate(_fields(company_key, found))


@router.put("/callbacks/{callback_id}", response_model_exclude_unset=True)
async def replace_callback(
    company_key: CompanyKey,
    callback_id: CallbackIdPath,
    body: CallbackIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> CallbackOut:
    """Replace a callback's type, destination, filter and window; its secret stays.

    A callback the server stopped delivering to is resumed: the company says its
    receiver is back.
    """
    found = await webhooks.update_webhook(
        database,
        principal.company.id,
        STYLE,
        _callback_id(callback_id),
        _spec(body),
        settings=request.app.state.settings,
        actor=None,
    )
    return CallbackOut.model_validate(_fields(company_key, found))


@router.delete("/callbacks/{callback_id}", status_code=204)
async def delete_callback(
    company_key: CompanyKey,
    callback_id: CallbackIdPath,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> Response:
    """Remove a callback; nothing more is sent to it."""
    await webhooks.remove_webhook(
        database, principal.company.id, STYLE, _callback_id(callback_id), actor=None
    )
    return Response(status_code=204)


@router.post("/callback_events/test", status_code=202, responses=NO_CALLBACK)
async def send_callback_test(
    company_key: CompanyKey,
    body: CallbackTestIn,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> CallbackTestOut:
    """Queue a test event for one callback, delivered (signed, retried, logged) like
    any other, even outside the callback's window."""
    number = _callback_id(body.callback_id)
    context = vibes_context(request, principal)
    event_id = await webhook_deliveries.send_test_event(
        database, principal.company.id, STYLE, number, context
    )
    return CallbackTestOut(event_id=f"evt_{event_id}", callback_id=str(number))
