"""`POST /v1/attributes/custom`: custom attributes of one user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from optledger.core.user_upsert import set_custom_attributes
from optledger.dialects.attentive.dependencies import AttributesWriter
from optledger.dialects.attentive.identity import identity_of
from optledger.dialects.attentive.wire import ExternalIdentifiersDto, ShortText, WireModel
from optledger.dialects.auth import DatabaseDep

router = APIRouter(prefix="/v1/attributes", tags=["Custom Attributes"])
MAX_PROPERTIES = 200


class EventUserDto(WireModel):
    phone: ShortText | None = None
    email: ShortText | None = None
    external_identifiers: ExternalIdentifiersDto | None = None


class CustomAttributesRequest(WireModel):
    properties: dict[str, Any] = Field(max_length=MAX_PROPERTIES)
    user: EventUserDto


@router.post("/custom")
async def set_custom(
    body: CustomAttributesRequest, principal: AttributesWriter, database: DatabaseDep
) -> dict[str, str]:
    """Set custom attributes, creating each new name with the type of its first value."""
    identity = identity_of(body.user.phone, body.user.email, body.user.external_identifiers)
    await database.run(
        lambda connection: set_custom_attributes(
            connection, principal.company.id, identity, body.properties
        )
    )
    return {}
