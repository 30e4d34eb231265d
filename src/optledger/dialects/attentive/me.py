"""`/v1/me`: who the API key belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from optledger.dialects.attentive.dependencies import AnyApiKey
from optledger.dialects.attentive.wire import WireModel

router = APIRouter(prefix="/v1", tags=["Me"])


class MeResponse(WireModel):
    application_name: str
    company_name: str
    company_id: str
    contact_email: str | None
    attentive_domain_name: str


@router.get("/me", response_model_by_alias=True)
async def me(
    principal: AnyApiKey,
) -> MeResponse:
    """The application (credential) and company behind the API key; needs no scope."""
    company = principal.company
    return MeResponse(
        application_name=principal.credential_name,
        company_name=company.name,
        company_id=company.key,
        contact_email=company.contact_email,
        attentive_domain_name=company.key,
    )
