"""Subscribing, opting out, and who may be messaged: the same from every door.

The eligibility reads and a person's records are the hot reads: each is one
`Database.read` on a standby if there is one, as the lanes rely on.
"""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core import subscriptions as rules
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import NotFound
from optledger.core.people import find_person
from optledger.core.subscriptions.eligibility import BatchAnswer
from optledger.core.subscriptions.of_person import (
    leave_list,
    subscription_list,
    subscriptions_by_person_key,
    subscriptions_of_person,
)
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import PersonRow as PersonRow
from optledger.storage.repositories.records import RecordRow as RecordRow
from optledger.storage.sql import Connection


async def subscribe(
    database: Database,
    company: CompanyRow,
    command: rules.SubscribeCommand,
    context: RequestContext,
) -> rules.SubscribeResult:
    """Opt the contact points in through a sign-up unit, in one unit of work."""
    return await database.run(
        lambda connection: rules.subscribe(connection, company, command, context)
    )


async def unsubscribe(
    database: Database,
    company: CompanyRow,
    command: rules.UnsubscribeCommand,
    context: RequestContext,
) -> rules.UnsubscribeResult:
    """Opt the contact points out, as one write where the database allows it."""
    return await database.run(
        lambda connection: rules.unsubscribe(connection, company, command, context),
        one_write=True,
    )


async def check_eligibility(
    database: Database, company_id: int, contacts: ContactPoints
) -> list[rules.Eligibility]:
    """Whether each subscription of the contact points may be messaged now."""
    return await database.read(
        lambda connection: rules.check_eligibility(connection, company_id, contacts),
        standby=True,
    )


async def check_eligibility_of_batch(
    database: Database, company_id: int, users: Sequence[tuple[str | None, str | None]]
) -> list[BatchAnswer]:
    """The eligibility of many (phone, email) pairs, in request order."""
    return await database.read(
        lambda connection: rules.check_eligibility_of_batch(connection, company_id, users),
        standby=True,
    )


async def records_by_person_key(
    database: Database, company_id: int, person_key: str, *, active_only: bool = False
) -> tuple[PersonRow, list[RecordRow]]:
    """The person a key names and their records (only the open ones, if asked)."""
    return await database.read(
        lambda connection: subscriptions_by_person_key(
            connection, company_id, person_key, active_only=active_only
        ),
        standby=True,
    )


async def records_of_person(
    database: Database,
    company_id: int,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
    list_id: int | None = None,
    active_only: bool = False,
) -> tuple[PersonRow, list[RecordRow]]:
    """A person (named by key or external id) and their records, of one list or all;
    `NotFound` when they never subscribed to the list asked for."""

    async def read(connection: Connection) -> tuple[PersonRow, list[RecordRow]]:
        person = await find_person(
            connection, company_id, person_key=person_key, external_id=external_id
        )
        if list_id is not None:
            await subscription_list(connection, company_id, list_id)
        found = await subscriptions_of_person(
            connection, company_id, person, list_id=list_id, active_only=active_only
        )
        return person, found

    person, found = await database.read(read, standby=True)
    if list_id is not None and not found:
        raise NotFound(f"the person was never subscribed to list {list_id}")
    return person, found


async def leave(
    database: Database,
    company: CompanyRow,
    list_id: int,
    context: RequestContext,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
) -> None:
    """Opt a person (named by key or external id) out of one list (`api_opt_out`)."""

    async def apply(connection: Connection) -> None:
        person = await find_person(
            connection, company.id, person_key=person_key, external_id=external_id
        )
        await leave_list(connection, company, person, list_id, context)

    await database.run(apply)
