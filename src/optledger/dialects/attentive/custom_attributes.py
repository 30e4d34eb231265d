"""`POST /v1/attributes/custom`: custom attributes of one user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from optledger.auth.credentials import CredentialKind, Principal
from optledger.auth.scopes import Scope
from optledger.core.user_upsert import set_custom_attributes
from optledger.dialects.attentive.identity import identity_of
from optledger.dialects.attentive.wire import ExternalIdentifiersDto, ShortText, WireModel
from optledger.dialects.auth import DatabaseDep, bearer_principal

router = APIRouter(prefix="/v1/attributes", tags=["Custom Attributes"])
AttributesWriter = Annotated[
    Principal, Depends(bearer_principal(CredentialKind.API_KEY, Scope.ATTRIBUTES_WRITE))
]
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
