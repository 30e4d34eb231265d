"""`POST /v1/attributes/custom`: custom attributes of one user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field

from optledger.core.use_cases import attributes
from optledger.dialects.attentive.dependencies import AttributesWriter, attentive_context
from optledger.dialects.attentive.identity import identity_of
from optledger.dialects.attentive.wire import (
    EmailText,
    ExternalIdentifiersDto,
    ShortText,
    WireModel,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/attributes", tags=["Custom Attributes"])
MAX_PROPERTIES = 200


class EventUserDto(WireModel):
    phone: ShortText | None = None
    email: EmailText | None = None
    external_identifiers: ExternalIdentifiersDto | None = None


class CustomAttributesRequest(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"properties": {"plan": "gold"}, "user": {"phone": "+14155550123"}}]
        }
    )

    properties: dict[str, Any] = Field(max_length=MAX_PROPERTIES)
    user: EventUserDto


@router.post(
    "/custom",
    responses={
        404: {"description": "No user has these identifiers: link them to a phone or email first."},
        409: {
            "description": "An identifier belongs to another person, or an attribute already "
            "has another type."
        },
    },
)
async def set_custom(
    body: CustomAttributesRequest,
    request: Request,
    principal: AttributesWriter,
    database: DatabaseDep,
) -> dict[str, str]:
    """Set custom attributes, creating each new name with the type of its first value."""
    identity = identity_of(body.user.phone, body.user.email, body.user.external_identifiers)
    context = attentive_context(request, principal)
    await attributes.set_custom_attributes(
        database, principal.company.id, identity, body.properties, context
    )
    return {}
