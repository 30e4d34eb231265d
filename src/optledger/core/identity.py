"""Identifier sets as the identity and attribute APIs send them, and linking them.

Blank values are dropped (never stored); every value is at most
`MAX_IDENTIFIER_LENGTH` characters, emails included; phones must be E.164.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.contact_points import normalize_e164_phone, normalize_email
from optledger.core.errors import InvalidContactPoint, InvalidInput
from optledger.core.people import (
    MAX_IDENTIFIER_LENGTH,
    Identifier,
    IdentifierKind,
    external_identifier,
    resolve_person,
)
from optledger.core.subscriptions.contacts import ContactPoints
from optledger.storage.tables import Person


@dataclass(frozen=True)
class IdentifierInput:
    """Raw identifiers of one person, as a request carries them."""

    phone: str | None = None
    email: str | None = None
    client_user_id: str | None = None
    shopify_id: str | None = None
    klaviyo_id: str | None = None
    custom: Sequence[tuple[str, str | None]] = ()


@dataclass(frozen=True)
class Identity:
    """Validated identifiers: the contact points, and the external identifiers."""

    contacts: ContactPoints
    external: list[Identifier] = field(default_factory=list)

    @property
    def identifiers(self) -> list[Identifier]:
        """Every identifier, contact points first."""
        return [*self.contacts.identifiers, *self.external]


def _present(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def parse_identity(raw: IdentifierInput) -> Identity:
    """Validate and normalise identifiers; blanks are dropped, nothing else is."""
    phone, email = _present(raw.phone), _present(raw.email)
    if email is not None and len(email) > MAX_IDENTIFIER_LENGTH:
        raise InvalidContactPoint(f"email is longer than {MAX_IDENTIFIER_LENGTH} characters")
    candidates = [
        external_identifier(IdentifierKind.CLIENT_USER_ID, raw.client_user_id),
        external_identifier(IdentifierKind.SHOPIFY_ID, raw.shopify_id),
        external_identifier(IdentifierKind.KLAVIYO_ID, raw.klaviyo_id),
        *(external_identifier(IdentifierKind.CUSTOM, value, name) for name, value in raw.custom),
    ]
    return Identity(
        contacts=ContactPoints(
            phone=normalize_e164_phone(phone) if phone else None,
            email=normalize_email(email) if email else None,
        ),
        external=[candidate for candidate in candidates if candidate is not None],
    )


async def link_identifiers(session: AsyncSession, company_id: int, identity: Identity) -> Person:
    """Attach identifiers to one person (created if none is known).

    Linking needs two identifiers at least: a clientUserId or custom identifier
    alone names nobody it could be linked to.
    """
    if len(identity.identifiers) < 2:
        raise InvalidInput(
            "a clientUserId or custom identifier must come with at least one other "
            "identifier (phone, email, shopifyId, klaviyoId, clientUserId or custom)"
        )
    return await resolve_person(session, company_id, identity.identifiers)
