"""Shared wire models of the Attentive dialect: camelCase, strict types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.contact_points import MAX_EMAIL_LENGTH
from optledger.core.people import (
    MAX_IDENTIFIER_LENGTH,
    Identifier,
    IdentifierKind,
    external_identifier,
)
from optledger.core.sign_up_units import Locale

ShortText = Annotated[str, StringConstraints(max_length=320)]
# The core trims and checks emails and identifiers against these limits; the wire
# states them too, so that the API document says what is enforced.
EmailText = Annotated[
    ShortText, StringConstraints(strip_whitespace=True, max_length=MAX_EMAIL_LENGTH)
]
IdentifierText = Annotated[
    ShortText, StringConstraints(strip_whitespace=True, max_length=MAX_IDENTIFIER_LENGTH)
]
SubscriptionTypeName = Literal["MARKETING", "TRANSACTIONAL", "CHECKOUT_ABANDONED"]
ChannelName = Literal["TEXT", "EMAIL"]


def wire_time(moment: datetime | None) -> str | None:
    """A moment as Attentive writes them: UTC, milliseconds, `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WireModel(BaseModel):
    """Strict (no "true" for true), camelCase, unknown fields ignored."""

    model_config = ConfigDict(
        strict=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class UserDto(WireModel):
    phone: ShortText | None = None
    email: EmailText | None = None


class LocaleDto(WireModel):
    language: Annotated[str, StringConstraints(min_length=2, max_length=8)]
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)]

    def to_core(self) -> Locale:
        return Locale(self.language, self.country)


class CustomIdentifierDto(WireModel):
    name: IdentifierText
    value: IdentifierText | None = None


class ExternalIdentifiersDto(WireModel):
    client_user_id: IdentifierText | None = None
    shopify_id: IdentifierText | None = None
    klaviyo_id: IdentifierText | None = None
    custom_identifiers: list[CustomIdentifierDto] | None = Field(default=None, max_length=50)

    def to_core(self) -> list[Identifier]:
        """The identifiers given, blanks dropped."""
        candidates = [
            external_identifier(IdentifierKind.CLIENT_USER_ID, self.client_user_id),
            external_identifier(IdentifierKind.SHOPIFY_ID, self.shopify_id),
            external_identifier(IdentifierKind.KLAVIYO_ID, self.klaviyo_id),
            *(
                external_identifier(IdentifierKind.CUSTOM, item.value, item.name)
                for item in self.custom_identifiers or []
            ),
        ]
        return [candidate for candidate in candidates if candidate is not None]


class SubscriptionDto(WireModel):
    type: SubscriptionTypeName
    channel: ChannelName

    def to_core(self) -> tuple[SubscriptionType, Channel]:
        return SubscriptionType(self.type), Channel(self.channel)
