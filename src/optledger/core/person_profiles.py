"""A person as a whole: their phone, external id and custom attributes, read and changed.

The Vibes-style persons API works on people directly (one mobile phone, one
external id, custom fields); the rules of identity stay those of `core.people`:
an identifier names one person, and a phone another person holds is a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optledger.core.attributes.profile import AttributeChanges, set_attributes
from optledger.core.context import RequestContext
from optledger.core.errors import IdentifierConflict, InvalidInput
from optledger.core.events import EventType, record_event
from optledger.core.people import Identifier, IdentifierKind, find_people, resolve_person_created
from optledger.core.text import single_line
from optledger.storage.clock import utcnow
from optledger.storage.repositories import people as stored
from optledger.storage.repositories.attributes import values_of_person
from optledger.storage.repositories.people import PersonRow
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class PersonProfile:
    """What the persons API shows of a person."""

    person: PersonRow
    phone: str | None
    external_id: str | None
    # Standard and custom attributes alike (Vibes custom fields are both).
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PersonChanges:
    """A person's identifiers and custom attributes as a request gives them (normalised)."""

    phone: str | None = None
    external_id: str | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.external_id is not None:
            single_line(self.external_id, "external_person_id")

    @property
    def identifiers(self) -> list[Identifier]:
        found = []
        if self.phone:
            found.append(Identifier(IdentifierKind.PHONE, self.phone))
        if self.external_id:
            found.append(Identifier(IdentifierKind.CLIENT_USER_ID, self.external_id))
        return found


async def person_profile(connection: Connection, person: PersonRow) -> PersonProfile:
    """The person's phone (the first they gave), external id, attributes and times."""
    held = await stored.identifiers_of_people(connection, person.company_id, [person.id])
    phones = [i.value for i in held if i.kind == IdentifierKind.PHONE]
    external = [i.value for i in held if i.kind == IdentifierKind.CLIENT_USER_ID]
    created, updated = await stored.person_times(connection, person.id)
    return PersonProfile(
        person=person,
        phone=phones[0] if phones else None,
        external_id=external[0] if external else None,
        attributes=await values_of_person(connection, person.company_id, person.id),
        created_at=created,
        updated_at=updated,
    )


async def add_person(
    connection: Connection, company_id: int, changes: PersonChanges, context: RequestContext
) -> tuple[PersonProfile, bool]:
    """The person the phone or external id names, updated, or a new one; and whether new.

    Identifiers that name two different people are an `IdentifierConflict`. A new
    person is a `PERSON_ADDED` event, which fans out to the callbacks listening for it.
    """
    if not changes.identifiers:
        raise InvalidInput("a person needs a mobile_phone or an external_person_id")
    person, created = await resolve_person_created(connection, company_id, changes.identifiers)
    if created:
        await record_event(
            connection, company_id, EventType.PERSON_ADDED, context, person_id=person.id
        )
    await set_attributes(
        connection, company_id, person.id, AttributeChanges(custom=changes.custom), context
    )
    return await person_profile(connection, person), created


async def update_person(
    connection: Connection, person: PersonRow, changes: PersonChanges, context: RequestContext
) -> PersonProfile:
    """Change a person's phone, external id and custom attributes.

    A phone or external id another person holds is an `IdentifierConflict`
    (`MDN_TAKEN` for a phone); the replaced value no longer names this person.
    Consent stays with the old number: records belong to contact points.
    """
    current = await person_profile(connection, person)
    replacing = [
        (kind, old, new)
        for kind, old, new in (
            (IdentifierKind.PHONE, current.phone, changes.phone),
            (IdentifierKind.CLIENT_USER_ID, current.external_id, changes.external_id),
        )
        if new is not None and new != old
    ]
    owners = await find_people(
        connection, person.company_id, [Identifier(kind, new) for kind, _, new in replacing]
    )
    now = utcnow()
    for kind, old, new in replacing:
        owner = owners.get(Identifier(kind, new))
        if owner is not None and owner != person.id:
            code = "MDN_TAKEN" if kind == IdentifierKind.PHONE else "IDENTIFIER_CONFLICT"
            raise IdentifierConflict(f"{kind} {new!r} belongs to another person", code=code)
        if old is not None:
            await stored.detach_identifier(
                connection, person.company_id, person.id, (kind.value, "", old)
            )
        if owner is None:
            await stored.attach_identifiers(
                connection, person.company_id, person.id, [(kind.value, "", new)], now
            )
    await set_attributes(
        connection,
        person.company_id,
        person.id,
        AttributeChanges(custom=changes.custom),
        context,
    )
    await stored.touch_person(connection, person.id, now)
    return await person_profile(connection, person)
