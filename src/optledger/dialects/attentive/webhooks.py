"""`/v1/webhooks`: where a company wants its consent changes sent, and how they went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ConfigDict, Field, StringConstraints

from optledger.core.errors import NotFound
from optledger.core.ids import MAX_STORED_ID, parse_stored_id
from optledger.core.use_cases import webhook_deliveries, webhooks
from optledger.core.use_cases.webhook_deliveries import LoggedDelivery
from optledger.core.use_cases.webhooks import WebhookRow
from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle, webhook_secret
from optledger.dialects.attentive.dependencies import WebhooksWriter
from optledger.dialects.attentive.wire import WireModel, wire_time
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/webhooks", tags=["Webhooks"])
STYLE = WebhookStyle.ATTENTIVE

Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
EventName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Events = Annotated[list[EventName], Field(min_length=1, max_length=20)]
WebhookId = Annotated[str, Path(max_length=20)]


class WebhookBody(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/consent",
                    "events": ["sms.subscribed", "sms.unsubscribed"],
                }
            ]
        }
    )

    url: Url
    events: Events
    disabled: bool = False


class WebhookPatch(WireModel):
    url: Url | None = None
    events: Events | None = None
    disabled: bool | None = None


class WebhookDto(WireModel):
    id: str
    url: str
    events: list[str]
    type: str
    disabled_at: str | None = None
    disabled_reason: str | None = None
    paused_until: str | None = None


class CreatedWebhookDto(WebhookDto):
    # Shown in this answer only.
    signing_key: str
    webhook_secret: str


class WebhookListDto(WireModel):
    webhooks: list[WebhookDto]


class DeliveryDto(WireModel):
    id: str
    event_id: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    delivered_at: str | None
    next_attempt_at: str | None
    created_at: str


class DeliveryListDto(WireModel):
    deliveries: list[DeliveryDto]
    # Pass as `before` for the next, older page.
    next_before: str | None = None


def _fields(found: WebhookRow) -> dict[str, object]:
    return {
        "id": str(found.id),
        "url": found.url,
        "events": found.events,
        "type": "WEBHOOK",
        "disabled_at": wire_time(found.disabled_at),
        "disabled_reason": found.disabled_reason,
        "paused_until": wire_time(found.paused_until),
    }


def _dto(found: WebhookRow) -> WebhookDto:
    return WebhookDto.model_validate(_fields(found))


def _delivery(found: LoggedDelivery) -> DeliveryDto:
    return DeliveryDto(
        id=str(found.id),
        event_id=f"evt_{found.event_id}",
        event=found.name,
        status=found.status,
        attempts=found.attempts,
        last_status_code=found.last_status_code,
        last_latency_ms=found.last_latency_ms,
        last_error=found.last_error,
        delivered_at=wire_time(found.delivered_at),
        next_attempt_at=wire_time(found.next_attempt_at) if found.status == "pending" else None,
        created_at=wire_time(found.created_at) or "",
    )


def _id(webhook_id: str) -> int:
    """The stored id, or not found: ids are never guessed at."""
    number = parse_stored_id(webhook_id)
    if number is None:
        raise NotFound("webhook not found")
    return number


@router.post("", status_code=201, response_model_by_alias=True)
async def create_webhook(
    body: WebhookBody, request: Request, principal: WebhooksWriter, database: DatabaseDep
) -> CreatedWebhookDto:
    """Register a URL for consent events; the signing key is shown in this answer only.

    Nothing is sent to the URL now.
    """
    spec = WebhookSpec(url=body.url, events=body.events, disabled=body.disabled)
    found = await webhooks.register_webhook(
        database, principal.company.id, STYLE, spec, settings=request.app.state.settings, actor=None
    )
    return CreatedWebhookDto.model_validate(
        {
            **_fields(found),
            "signing_key": found.signing_key,
            "webhook_secret": webhook_secret(found.signing_key),
        }
    )


@router.get("", response_model_by_alias=True)
async def read_webhooks(principal: WebhooksWriter, database: DatabaseDep) -> WebhookListDto:
    """The company's webhooks, oldest first."""
    found = await webhooks.list_webhooks(database, principal.company.id, STYLE)
    return WebhookListDto(webhooks=[_dto(webhook) for webhook in found])


@router.get("/{webhook_id}", response_model_by_alias=True)
async def read_webhook(
    webhook_id: WebhookId, principal: WebhooksWriter, database: DatabaseDep
) -> WebhookDto:
    """One webhook of the company."""
    found = await webhooks.get_webhook(database, principal.company.id, STYLE, _id(webhook_id))
    return _dto(found)


@router.put("/{webhook_id}", response_model_by_alias=True)
async def replace_webhook(
    webhook_id: WebhookId,
    body: WebhookBody,
    request: Request,
    principal: WebhooksWriter,
    database: DatabaseDep,
) -> WebhookDto:
    """Replace a webhook's URL, events and state; its signing key stays.

    Enabling a webhook resumes its deliveries, waiting ones included.
    """
    spec = WebhookSpec(url=body.url, events=body.events, disabled=body.disabled)
    found = await webhooks.update_webhook(
        database,
        principal.company.id,
        STYLE,
        _id(webhook_id),
        spec,
        settings=request.app.state.settings,
        actor=None,
    )
    return _dto(found)


@router.patch("/{webhook_id}", response_model_by_alias=True)
async def amend_webhook(
    webhook_id: WebhookId,
    body: WebhookPatch,
    request: Request,
    principal: WebhooksWriter,
    database: DatabaseDep,
) -> WebhookDto:
    """Change the fields given and keep the others."""
    found = await webhooks.amend_webhook(
        database,
        principal.company.id,
        STYLE,
        _id(webhook_id),
        body.model_dump(exclude_none=True),
        settings=request.app.state.settings,
        actor=None,
    )
    return _dto(found)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: WebhookId, principal: WebhooksWriter, database: DatabaseDep
) -> Response:
    """Remove a webhook and its delivery log; nothing more is sent to it."""
    await webhooks.remove_webhook(
        database, principal.company.id, STYLE, _id(webhook_id), actor=None
    )
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model_by_alias=True)
async def read_deliveries(
    webhook_id: WebhookId,
    principal: WebhooksWriter,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_STORED_ID)] = None,
) -> DeliveryListDto:
    """The webhook's delivery log, newest first: attempts, status code, latency, error."""
    found = await webhook_deliveries.delivery_log(
        database, principal.company.id, STYLE, _id(webhook_id), limit, before
    )
    next_before = str(found[-1].id) if len(found) == limit else None
    return DeliveryListDto(deliveries=[_delivery(d) for d in found], next_before=next_before)
