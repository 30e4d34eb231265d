"""People: found, added, changed and linked to more identifiers, the same from every door."""

from __future__ import annotations

from optledger.core import person_profiles as profiles
from optledger.core.context import RequestContext
from optledger.core.identity import Identity
from optledger.core.identity import link_identifiers as link
from optledger.core.people import find_person
from optledger.core.person_profiles import PersonChanges, PersonProfile
from optledger.storage.database import Database
from optledger.storage.repositories.people import PersonRow as PersonRow
from optledger.storage.sql import Connection


async def find(
    database: Database,
    company_id: int,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
    phone: str | None = None,
) -> PersonRow:
    """The person a key, an external id or a phone names, or `NotFound`."""
    return await database.read(
        lambda connection: find_person(
            connection, company_id, person_key=person_key, external_id=external_id, phone=phone
        ),
        standby=True,
    )


async def get_profile(
    database: Database,
    company_id: int,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
    phone: str | None = None,
) -> PersonProfile:
    """The profile of the person a key, an external id or a phone names, or `NotFound`."""

    async def read(connection: Connection) -> PersonProfile:
        person = await find_person(
            connection, company_id, person_key=person_key, external_id=external_id, phone=phone
        )
        return await profiles.person_profile(connection, person)

    return await database.read(read, standby=True)


async def add_person(
    database: Database, company_id: int, changes: PersonChanges, context: RequestContext
) -> tuple[PersonProfile, bool]:
    """The person the phone or external id names, updated, or a new one; and whether new."""
    return await database.run(
        lambda connection: profiles.add_person(connection, company_id, changes, context)
    )


async def update_person(
    database: Database,
    company_id: int,
    changes: PersonChanges,
    context: RequestContext,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
) -> PersonProfile:
    """Change the person a key or an external id names; `NotFound` if none does."""

    async def apply(connection: Connection) -> PersonProfile:
        person = await find_person(
            connection, company_id, person_key=person_key, external_id=external_id
        )
        return await profiles.update_person(connection, person, changes, context)

    return await database.run(apply)


async def link_identifiers(database: Database, company_id: int, identity: Identity) -> PersonRow:
    """Attach the identifiers to one person, created if none of them is known."""
    return await database.run(lambda connection: link(connection, company_id, identity))
