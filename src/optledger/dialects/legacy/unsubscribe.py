"""`POST /1/subscribers/unsubscribe`: opt a phone out of every TEXT subscription."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from optledger.core.consent import UnsubscribeStatus
from optledger.core.contact_points import ContactPoints, normalize_phone
from optledger.core.errors import Conflict, InvalidInput, NotFound
from optledger.core.subscriptions import UnsubscribeCommand
from optledger.core.use_cases.subscriptions import unsubscribe
from optledger.dialects.legacy.dependencies import LegacyPrincipal, legacy_context
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/1/subscribers", tags=["Legacy"])


class LegacyUnsubscribeRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        json_schema_extra={"examples": [{"phone": "+14155550123", "sendOptOutMessage": False}]},
    )

    phone: Annotated[str, Field(min_length=1, max_length=32)]
    # A boolean, or the strings the legacy examples send.
    send_opt_out_message: Annotated[
        bool | Literal["true", "false"], Field(alias="sendOptOutMessage")
    ]

    @property
    def notify(self) -> bool:
        return self.send_opt_out_message in (True, "true")


class LegacyUnsubscribeResponse(BaseModel):
    """An empty object: the legacy API answers success with `{}`."""


@router.post(
    "/unsubscribe",
    response_model=LegacyUnsubscribeResponse,
    responses={409: {"description": "The subscriber had already opted out."}},
)
async def legacy_unsubscribe(
    body: LegacyUnsubscribeRequest,
    request: Request,
    principal: LegacyPrincipal,
    database: DatabaseDep,
) -> JSONResponse:
    """End every TEXT subscription of the number (`api_opt_out`); confirm only if asked."""
    phone = normalize_phone(body.phone, lenient=True)
    command = UnsubscribeCommand(
        contacts=ContactPoints(phone=phone),
        notify=body.notify,
        needs_records=True,
        notify_repeats=False,
    )
    context = legacy_context(request, principal)
    try:
        result = await unsubscribe(database, principal.company, command, context)
    except NotFound:
        # The legacy API answers an unknown subscriber with 400, not 404.
        raise InvalidInput(f"no subscriber has the phone number {phone}") from None
    if all(o.status == UnsubscribeStatus.PREVIOUSLY_UNSUBSCRIBED for o in result.outcomes):
        raise Conflict(f"{phone} had already opted out")
    return JSONResponse({})
