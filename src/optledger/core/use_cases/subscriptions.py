"""Subscribing, opting out, and who may be messaged: the same from every door.

The eligibility reads and a person's records are the hot reads: each is one
`Database.read` on a standby if there is one, as the lanes rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from optledger.core import subscriptions as rules
from optledger.core.audit import Actor, changed_fields, record_change
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import NotFound
from optledger.core.people import find_person
from optledger.core.subscriptions import by_operator
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


async def get_record(
    database: Database, company_id: int, person_key: str, record_id: int
) -> RecordRow:
    """One record of the company's person `person_key`, or `NotFound`."""
    return await database.read(
        lambda connection: by_operator.record_of_person(
            connection, company_id, person_key, record_id
        ),
        standby=True,
    )


async def unsubscribe_record(
    database: Database,
    company: CompanyRow,
    person_key: str,
    record_id: int,
    reason: str,
    *,
    notify: bool,
    actor: Actor,
) -> RecordRow:
    """An operator opts a record's contact point out through the one opt-out flow, saying
    why; returns the record as it was."""
    note = by_operator.checked_reason(reason)

    async def apply(connection: Connection) -> RecordRow:
        record = await by_operator.record_of_person(connection, company.id, person_key, record_id)
        await by_operator.end_record(connection, company, record, note, actor, notify=notify)
        changes = changed_fields({"status": record.status}, {"status": "ENDED", "reason": note})
        await record_change(
            connection, actor, company.id, "record.unsubscribed", "record", record_id, changes
        )
        return record

    return await database.run(apply)


async def resend_confirmation(
    database: Database,
    company: CompanyRow,
    person_key: str,
    record_id: int,
    time_to_live: timedelta,
    *,
    actor: Actor,
) -> RecordRow:
    """An operator sends a PENDING record's prompt again (`Conflict` for another status
    or once its window of `time_to_live` has passed, `RateLimited` too soon after the
    last resend)."""

    async def apply(connection: Connection) -> RecordRow:
        record = await by_operator.record_of_person(connection, company.id, person_key, record_id)
        await by_operator.resend_prompt(connection, company, record, actor, time_to_live)
        await record_change(
            connection, actor, company.id, "record.confirmation_resent", "record", record_id
        )
        return record

    return await database.run(apply)
