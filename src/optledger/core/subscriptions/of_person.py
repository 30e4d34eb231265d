"""A person's subscriptions as the Vibes dialect sees them: by list, and leaving one."""

from __future__ import annotations

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, OptOutReason, RecordStatus, SubscriptionType, is_open
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import NotFound
from optledger.core.subscriptions.unsubscribe import UnsubscribeCommand, unsubscribe
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import PersonRow
from optledger.storage.repositories.records import (
    RecordRow,
    person_and_records_by_key,
    records_of_person,
)
from optledger.storage.repositories.units import ListRow
from optledger.storage.sql import Connection


async def subscription_list(connection: Connection, company_id: int, list_id: int) -> ListRow:
    """One of the company's subscription lists, or `NotFound`."""
    catalog = await load_catalog(connection, company_id)
    found = next((item for item in catalog.lists if item.id == list_id), None)
    if found is None:
        raise NotFound(f"subscription list {list_id} does not exist")
    return found


def _open_only(records: list[RecordRow]) -> list[RecordRow]:
    return [record for record in records if is_open(RecordStatus(record.status))]


async def subscriptions_of_person(
    connection: Connection,
    company_id: int,
    person: PersonRow,
    *,
    list_id: int | None = None,
    active_only: bool = False,
) -> list[RecordRow]:
    """The person's records, oldest first; of one list, or only the open ones, if asked."""
    found = [
        record
        for record in await records_of_person(connection, company_id, person.id)
        if list_id is None or record.list_id == list_id
    ]
    return _open_only(found) if active_only else found


async def subscriptions_by_person_key(
    connection: Connection, company_id: int, person_key: str, *, active_only: bool = False
) -> tuple[PersonRow, list[RecordRow]]:
    """The person a key names and their records, in one statement; `NotFound` if none."""
    person_id, records = await person_and_records_by_key(connection, company_id, person_key)
    if person_id is None:
        raise NotFound("no such person")
    return PersonRow(person_id, company_id, person_key), (
        _open_only(records) if active_only else records
    )


async def leave_list(
    connection: Connection,
    company: CompanyRow,
    person: PersonRow,
    list_id: int,
    context: RequestContext,
) -> None:
    """End the person's open subscription to one list (`api_opt_out`), through the one
    opt-out flow; `NotFound` if they have none there."""
    target = await subscription_list(connection, company.id, list_id)
    open_records = await subscriptions_of_person(
        connection, company.id, person, list_id=list_id, active_only=True
    )
    if not open_records:
        raise NotFound(f"the person is not subscribed to list {list_id}")
    channel = Channel(target.channel)
    # A person may hold the list through more than one phone (or email).
    for contact in dict.fromkeys(record.contact_value for record in open_records):
        command = UnsubscribeCommand(
            contacts=ContactPoints(
                phone=contact if channel == Channel.TEXT else None,
                email=contact if channel == Channel.EMAIL else None,
            ),
            subscriptions=[(SubscriptionType(target.type), channel)],
            notify=False,
            reason=OptOutReason.API_OPT_OUT,
        )
        await unsubscribe(connection, company, command, context)
