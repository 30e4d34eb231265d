"""People and identity resolution: identifiers find a person, never two."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from optledger.core.errors import IdentifierConflict, InvalidInput, NotFound
from optledger.core.text import single_line
from optledger.storage.clock import utcnow
from optledger.storage.repositories import people as stored
from optledger.storage.repositories.people import PersonRow
from optledger.storage.sql import Connection

MAX_IDENTIFIER_LENGTH = 100


class IdentifierKind(StrEnum):
    """The kinds of identifier a person can have, each unique within a company."""

    PHONE = "phone"
    EMAIL = "email"
    CLIENT_USER_ID = "client_user_id"
    SHOPIFY_ID = "shopify_id"
    KLAVIYO_ID = "klaviyo_id"
    CUSTOM = "custom"


# A person has one id in each external system (clientUserId is the Vibes
# external_person_id) and one value per custom identifier name; phones and emails
# may be several. `uq_person_identifiers_single_valued` holds this under races.
CONTACT_KINDS = frozenset({IdentifierKind.PHONE, IdentifierKind.EMAIL})


@dataclass(frozen=True)
class Identifier:
    """One identifier value; `name` only for custom identifiers."""

    kind: IdentifierKind
    value: str
    name: str = ""

    def describe(self) -> str:
        """How the identifier is named in error messages."""
        if self.kind == IdentifierKind.CUSTOM:
            return f"custom identifier {self.name!r} {self.value!r}"
        return f"{self.kind} {self.value!r}"


def external_identifier(
    kind: IdentifierKind, value: str | None, name: str = ""
) -> Identifier | None:
    """An external identifier from a request; blanks are dropped, long values refused."""
    if value is None or not value.strip():
        return None
    value = single_line(value.strip(), str(kind))
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidInput(f"{kind} is longer than {MAX_IDENTIFIER_LENGTH} characters")
    if kind == IdentifierKind.CUSTOM:
        name = single_line(name.strip(), "custom identifier name")
        if not name or len(name) > MAX_IDENTIFIER_LENGTH:
            raise InvalidInput(
                f"custom identifier names must be 1 to {MAX_IDENTIFIER_LENGTH} characters"
            )
    return Identifier(kind=kind, value=value, name=name)


def _dedupe(identifiers: Iterable[Identifier]) -> list[Identifier]:
    """Drop repeats; two values of one single-valued kind in one request are refused."""
    unique = list(dict.fromkeys(identifiers))
    seen: dict[tuple[IdentifierKind, str], Identifier] = {}
    for identifier in unique:
        if identifier.kind in CONTACT_KINDS:
            continue
        other = seen.setdefault((identifier.kind, identifier.name), identifier)
        if other != identifier:
            raise InvalidInput(
                f"one person has one {identifier.kind}"
                + (f" {identifier.name!r}" if identifier.name else "")
                + f": got both {other.value!r} and {identifier.value!r}"
            )
    return unique


def _refuse_second_values(
    held: Sequence[stored.StoredIdentifier], new: Sequence[Identifier]
) -> None:
    """A known person keeps their one value of each single-valued kind."""
    values = {
        (IdentifierKind(i.kind), i.name): Identifier(IdentifierKind(i.kind), i.value, i.name)
        for i in held
        if i.kind not in CONTACT_KINDS
    }
    for identifier in new:
        existing = values.get((identifier.kind, identifier.name))
        if identifier.kind not in CONTACT_KINDS and existing is not None:
            raise IdentifierConflict(
                f"{identifier.describe()} would be a second value for a person who has "
                f"{existing.describe()}"
            )


def _key(identifier: Identifier) -> stored.Key:
    return (identifier.kind.value, identifier.name, identifier.value)


async def find_people(
    connection: Connection, company_id: int, identifiers: Sequence[Identifier]
) -> dict[Identifier, int]:
    """Which person each known identifier belongs to."""
    owners = await stored.owners_of(connection, company_id, [_key(i) for i in identifiers])
    return {
        Identifier(kind=IdentifierKind(kind), name=name, value=value): person.id
        for (kind, name, value), person in owners.items()
    }


async def resolve_person(
    connection: Connection, company_id: int, identifiers: Sequence[Identifier]
) -> PersonRow:
    """The one person these identifiers name, created if none (see `resolve_person_created`)."""
    person, _ = await resolve_person_created(connection, company_id, identifiers)
    return person


async def resolve_person_created(
    connection: Connection, company_id: int, identifiers: Sequence[Identifier]
) -> tuple[PersonRow, bool]:
    """The one person these identifiers name, created if none, and whether it was;
    unknown identifiers are attached.

    Identifiers that point at two people are an `IdentifierConflict`: merging people
    silently would bridge two people's consent and data. So is a second value of a
    single-valued kind (such as another clientUserId) for a known person.

    A concurrent request may claim one of these identifiers first: the unique
    constraint then fails the insert and the unit of work is replayed against its
    result.
    """
    identifiers = _dedupe(identifiers)
    if not identifiers:
        raise InvalidInput("at least one identifier is required")
    now = utcnow()
    owners, created = await stored.find_or_create_person(
        connection, company_id, [_key(i) for i in identifiers], uuid.uuid4().hex, now
    )
    if created is not None:
        return created, True
    people = set(owners.values())
    if len(people) > 1:
        named = ", ".join(sorted(i.describe() for i in identifiers if _key(i) in owners))
        raise IdentifierConflict(f"identifiers belong to different people: {named}")
    new = [identifier for identifier in identifiers if _key(identifier) not in owners]
    person = people.pop()
    if new:
        if any(i.kind not in CONTACT_KINDS for i in new):
            held = await stored.identifiers_of_people(connection, company_id, [person.id])
            _refuse_second_values(held, new)
        await stored.attach_identifiers(
            connection, company_id, person.id, [_key(i) for i in new], now
        )
        await stored.touch_person(connection, person.id, now)
    return person, False


async def any_identifier_known(
    connection: Connection, company_id: int, identifiers: Sequence[Identifier]
) -> bool:
    """Whether the company has seen any of these identifiers."""
    return bool(await find_people(connection, company_id, identifiers))


async def find_person(
    connection: Connection,
    company_id: int,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
    phone: str | None = None,
) -> PersonRow:
    """The person a key, an external id (their clientUserId) or a phone names, or
    `NotFound` (erased people too: nothing names them any more)."""
    person = None
    if person_key is not None:
        person = await stored.person_by_key(connection, company_id, person_key)
    else:
        identifier = (
            Identifier(IdentifierKind.CLIENT_USER_ID, external_id)
            if external_id is not None
            else Identifier(IdentifierKind.PHONE, phone)
            if phone is not None
            else None
        )
        if identifier is not None:
            owners = await stored.owners_of(connection, company_id, [_key(identifier)])
            person = next(iter(owners.values()), None)
    if person is None:
        raise NotFound("no such person")
    return person
