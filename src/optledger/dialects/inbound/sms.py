"""`POST /inbound/sms/{company_key}`: a text as JSON, with an `inbound:write` API key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from optledger.core.inbound import InboundSms
from optledger.core.use_cases.inbound import receive_text
from optledger.dialects.inbound.dependencies import CompanyKey, InboundWriter, inbound_context
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/inbound", tags=["Inbound SMS"])


class InboundSmsRequest(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        extra="ignore",
        json_schema_extra={"examples": [{"from": "+14155550123", "body": "HELP"}]},
    )

    from_: str = Field(alias="from", min_length=1, max_length=32)
    to: str | None = Field(default=None, max_length=32)
    body: str = Field(max_length=1600)
    message_id: str | None = Field(default=None, alias="messageId", max_length=64)


class InboundSmsResponse(BaseModel):
    action: str
    record_ids: list[int]


@router.post(
    "/sms/{company_key}",
    status_code=202,
    responses={
        409: {
            "description": "The keyword would subscribe, without confirmation, a number "
            "erased on request."
        }
    },
)
async def inbound_sms(
    company_key: CompanyKey,
    body: InboundSmsRequest,
    request: Request,
    principal: InboundWriter,
    database: DatabaseDep,
) -> InboundSmsResponse:
    """Apply one inbound text of the key's own company."""
    sms = InboundSms(
        from_number=body.from_,
        body=body.body,
        to_number=body.to,
        provider="api",
        provider_message_id=body.message_id,
    )
    context = inbound_context(request, principal)
    outcome = await receive_text(database, principal.company, sms, context)
    return InboundSmsResponse(action=outcome.action.value, record_ids=outcome.record_ids)
