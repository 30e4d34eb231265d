"""People and identity resolution: identifiers find a person, never two."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.errors import IdentifierConflict, InvalidInput
from optledger.storage.tables import Person, PersonIdentifier
from optledger.storage.types import utcnow

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
    value = value.strip()
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidInput(f"{kind} is longer than {MAX_IDENTIFIER_LENGTH} characters")
    if kind == IdentifierKind.CUSTOM:
        name = name.strip()
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


async def _refuse_second_values(
    session: AsyncSession, company_id: int, person_id: int, new: Sequence[Identifier]
) -> None:
    """A known person keeps their one value of each single-valued kind."""
    single = [i for i in new if i.kind not in CONTACT_KINDS]
    if not single:
        return
    rows = await session.execute(
        select(PersonIdentifier.kind, PersonIdentifier.name, PersonIdentifier.value).where(
            PersonIdentifier.company_id == company_id,
            PersonIdentifier.person_id == person_id,
            PersonIdentifier.kind.in_({i.kind.value for i in single}),
        )
    )
    held = {
        (IdentifierKind(kind), name): Identifier(IdentifierKind(kind), value, name)
        for kind, name, value in rows
    }
    for identifier in single:
        existing = held.get((identifier.kind, identifier.name))
        if existing is not None:
            raise IdentifierConflict(
                f"{identifier.describe()} would be a second value for a person who has "
                f"{existing.describe()}"
            )


async def find_people(
    session: AsyncSession, company_id: int, identifiers: Sequence[Identifier]
) -> dict[Identifier, int]:
    """Which person each known identifier belongs to."""
    if not identifiers:
        return {}
    keys = [(i.kind.value, i.name, i.value) for i in identifiers]
    rows = await session.execute(
        select(
            PersonIdentifier.kind,
            PersonIdentifier.name,
            PersonIdentifier.value,
            PersonIdentifier.person_id,
        ).where(
            PersonIdentifier.company_id == company_id,
            tuple_(PersonIdentifier.kind, PersonIdentifier.name, PersonIdentifier.value).in_(keys),
        )
    )
    return {
        Identifier(kind=IdentifierKind(kind), name=name, value=value): person_id
        for kind, name, value, person_id in rows
    }


async def resolve_person(
    session: AsyncSession, company_id: int, identifiers: Sequence[Identifier]
) -> Person:
    """The one person these identifiers name, created if none; unknown ones are attached.

    Identifiers that point at two people are an `IdentifierConflict`: merging people
    silently would bridge two people's consent and data. So is a second value of a
    single-valued kind (such as another clientUserId) for a known person.
    """
    identifiers = _dedupe(identifiers)
    if not identifiers:
        raise InvalidInput("at least one identifier is required")
    owners = await find_people(session, company_id, identifiers)
    person_ids = set(owners.values())
    if len(person_ids) > 1:
        named = ", ".join(sorted(i.describe() for i in owners))
        raise IdentifierConflict(f"identifiers belong to different people: {named}")
    now = utcnow()
    if person_ids:
        person = await session.get_one(Person, person_ids.pop())
        await _refuse_second_values(
            session, company_id, person.id, [i for i in identifiers if i not in owners]
        )
        person.updated_at = now
    else:
        person = Person(
            company_id=company_id, person_key=uuid.uuid4().hex, created_at=now, updated_at=now
        )
        session.add(person)
        await session.flush()
    for identifier in identifiers:
        if identifier not in owners:
            session.add(
                PersonIdentifier(
                    company_id=company_id,
                    person_id=person.id,
                    kind=identifier.kind.value,
                    name=identifier.name,
                    value=identifier.value,
                )
            )
    # A concurrent request may have claimed one of these identifiers: the unique
    # constraint fails here and the unit of work is replayed against its result.
    await session.flush()
    return person


async def any_identifier_known(
    session: AsyncSession, company_id: int, identifiers: Sequence[Identifier]
) -> bool:
    """Whether the company has seen any of these identifiers."""
    return bool(await find_people(session, company_id, identifiers))
