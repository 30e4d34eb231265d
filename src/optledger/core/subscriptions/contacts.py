"""The contact points a request names: consent belongs to these, not to a person."""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.consent import Channel
from optledger.core.contact_points import normalize_e164_phone, normalize_email
from optledger.core.errors import InvalidInput
from optledger.core.people import Identifier, IdentifierKind


@dataclass(frozen=True)
class ContactPoints:
    """A normalised phone (TEXT) and/or email (EMAIL)."""

    phone: str | None = None
    email: str | None = None

    @classmethod
    def parse(cls, phone: str | None, email: str | None) -> ContactPoints:
        """Validate raw values: phone strictly E.164; at least one is required."""
        if not phone and not email:
            raise InvalidInput("user must have a phone or an email")
        return cls(
            phone=normalize_e164_phone(phone) if phone else None,
            email=normalize_email(email) if email else None,
        )

    def for_channel(self, channel: Channel) -> str | None:
        """The contact point a channel reaches: phone for TEXT, email for EMAIL."""
        return self.phone if channel == Channel.TEXT else self.email

    @property
    def channels(self) -> list[Channel]:
        """The channels these contact points can be reached on."""
        return [channel for channel in Channel if self.for_channel(channel)]

    @property
    def identifiers(self) -> list[Identifier]:
        """The contact points as person identifiers."""
        found = []
        if self.phone:
            found.append(Identifier(IdentifierKind.PHONE, self.phone))
        if self.email:
            found.append(Identifier(IdentifierKind.EMAIL, self.email))
        return found
