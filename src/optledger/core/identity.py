"""Identifier sets as the identity and attribute APIs send them, and linking them.

Blank values are dropped (never stored); phones and emails follow the limits of
`core.contact_points`, other identifiers are at most `MAX_IDENTIFIER_LENGTH` characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from optledger.core.contact_points import ContactPoints
from optledger.core.errors import InvalidInput
from optledger.core.people import (
    Identifier,
    IdentifierKind,
    external_identifier,
    resolve_person,
)
from optledger.storage.repositories.people import PersonRow
from optledger.storage.sql import Connection


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


def parse_identity(raw: IdentifierInput) -> Identity:
    """Validate and normalise identifiers; blanks are dropped, nothing else is."""
    candidates = [
        external_identifier(IdentifierKind.CLIENT_USER_ID, raw.client_user_id),
        external_identifier(IdentifierKind.SHOPIFY_ID, raw.shopify_id),
        external_identifier(IdentifierKind.KLAVIYO_ID, raw.klaviyo_id),
        *(external_identifier(IdentifierKind.CUSTOM, value, name) for name, value in raw.custom),
    ]
    return Identity(
        contacts=ContactPoints.parse(raw.phone, raw.email, required=False),
        external=[candidate for candidate in candidates if candidate is not None],
    )


async def link_identifiers(
    connection: Connection, company_id: int, identity: Identity
) -> PersonRow:
    """Attach identifiers to one person (created if none is known).

    Linking needs two identifiers at least: a clientUserId or custom identifier
    alone names nobody it could be linked to.
    """
    if len(identity.identifiers) < 2:
        raise InvalidInput(
            "a clientUserId or custom identifier must come with at least one other "
            "identifier (phone, email, shopifyId, klaviyoId, clientUserId or custom)"
        )
    return await resolve_person(connection, company_id, identity.identifiers)
