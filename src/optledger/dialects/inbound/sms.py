"""`POST /inbound/sms/{company_key}`: a text as JSON, with an `inbound:write` API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from optledger.auth.credentials import CredentialKind, Principal
from optledger.auth.scopes import Scope
from optledger.core.errors import Forbidden
from optledger.core.inbound import InboundSms, receive_sms
from optledger.dialects.auth import DatabaseDep, bearer_principal, request_context

router = APIRouter(prefix="/inbound", tags=["Inbound SMS"])
InboundWriter = Annotated[
    Principal, Depends(bearer_principal(CredentialKind.API_KEY, Scope.INBOUND_WRITE))
]
SOURCE = "keyword"


class InboundSmsRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    from_: str = Field(alias="from", min_length=1, max_length=32)
    to: str | None = Field(default=None, max_length=32)
    body: str = Field(max_length=1600)
    message_id: str | None = Field(default=None, alias="messageId", max_length=64)


class InboundSmsResponse(BaseModel):
    action: str
    record_ids: list[int]


@router.post("/sms/{company_key}", status_code=202)
async def inbound_sms(
    company_key: str,
    body: InboundSmsRequest,
    request: Request,
    principal: InboundWriter,
    database: DatabaseDep,
) -> InboundSmsResponse:
    """Apply one inbound text of the key's own company."""
    if principal.company.key != company_key:
        raise Forbidden("this API key belongs to another company")
    sms = InboundSms(
        from_number=body.from_,
        body=body.body,
        to_number=body.to,
        provider="api",
        provider_message_id=body.message_id,
    )
    context = request_context(request, principal, SOURCE)
    outcome = await database.run(
        lambda connection: receive_sms(connection, principal.company, sms, context)
    )
    return InboundSmsResponse(action=outcome.action.value, record_ids=outcome.record_ids)
