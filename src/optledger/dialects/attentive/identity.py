"""`/v1/identity-resolution/user-identifiers`, and the identifier wire models it shares."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from optledger.core.identity import IdentifierInput, Identity, parse_identity
from optledger.core.use_cases.people import link_identifiers
from optledger.dialects.attentive.dependencies import IdentityWriter
from optledger.dialects.attentive.wire import (
    EmailText,
    ExternalIdentifiersDto,
    IdentifierText,
    ShortText,
    WireModel,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/identity-resolution", tags=["Identity"])
# External ids are strings, but numeric ids (Shopify's) often arrive as numbers.
IdText = IdentifierText | int


class NamedIdentifierDto(WireModel):
    # The v2 User Attributes schema names it `key`, the v1 schemas `name`.
    name: IdentifierText | None = None
    key: IdentifierText | None = None
    value: IdText | None = None


class IdentifiersDto(WireModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "+14155550123", "clientUserId": "crm-1"}]}
    )

    phone: ShortText | None = None
    email: EmailText | None = None
    client_user_id: IdText | None = None
    shopify_id: IdText | None = None
    klaviyo_id: IdText | None = None
    custom_identifiers: list[NamedIdentifierDto] | None = Field(default=None, max_length=50)

    def to_core(self) -> Identity:
        """Validated identifiers; blanks dropped."""
        return parse_identity(
            IdentifierInput(
                phone=self.phone,
                email=self.email,
                client_user_id=_text(self.client_user_id),
                shopify_id=_text(self.shopify_id),
                klaviyo_id=_text(self.klaviyo_id),
                custom=[
                    (item.name or item.key or "", _text(item.value))
                    for item in self.custom_identifiers or []
                ],
            )
        )


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def identity_of(
    phone: str | None, email: str | None, external: ExternalIdentifiersDto | None
) -> Identity:
    """The identity of a v1 `user` object: phone, email and external identifiers."""
    external = external or ExternalIdentifiersDto()
    return parse_identity(
        IdentifierInput(
            phone=phone,
            email=email,
            client_user_id=external.client_user_id,
            shopify_id=external.shopify_id,
            klaviyo_id=external.klaviyo_id,
            custom=[(item.name, item.value) for item in external.custom_identifiers or []],
        )
    )


@router.post(
    "/user-identifiers",
    status_code=202,
    responses={
        409: {
            "description": "The identifiers belong to different people, or would give a "
            "person a second value of one kind."
        }
    },
)
async def add_user_identifiers(
    body: IdentifiersDto, principal: IdentityWriter, database: DatabaseDep
) -> dict[str, str]:
    """Link a clientUserId or custom identifiers to a user's other identifiers."""
    identity = body.to_core()
    await link_identifiers(database, principal.company.id, identity)
    return {}
