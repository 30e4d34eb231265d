"""Acquisition campaigns: sign-up units as the Vibes dialect sees them, and joining one.

Joining goes through the one subscribe flow: a double opt-in campaign prompts and
the participant is PENDING, any other is SUBSCRIBED at once; an open subscription
already there is a conflict rather than a repeat, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optledger.core.attributes.profile import AttributeChanges, set_attributes
from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, CreationStatus, RecordStatus
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import Conflict, InvalidInput, NotFound
from optledger.core.people import Identifier, IdentifierKind
from optledger.core.person_profiles import person_profile
from optledger.core.subscriptions.subscribe import SubscribeCommand, subscribe
from optledger.core.text import single_line
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.people import PersonRow
from optledger.storage.repositories.records import RecordRow, records_of_unit
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection


async def campaigns(connection: Connection, company_id: int) -> list[UnitRow]:
    """The company's sign-up units, archived ones included."""
    return list((await load_catalog(connection, company_id)).units)


async def campaign(connection: Connection, company_id: int, campaign_id: int) -> UnitRow:
    """One of the company's units, or `NotFound`."""
    found = (await load_catalog(connection, company_id)).unit(campaign_id)
    if found is None:
        raise NotFound(f"acquisition campaign {campaign_id} does not exist")
    return found


@dataclass(frozen=True)
class Participation:
    """Who joined, the record opened, and whether it waits for a reply."""

    person: PersonRow
    record_id: int
    status: RecordStatus


async def join_campaign(
    connection: Connection,
    company: CompanyRow,
    campaign_id: int,
    context: RequestContext,
    *,
    phone: str | None = None,
    person: PersonRow | None = None,
    external_id: str | None = None,
    custom: Mapping[str, Any] | None = None,
) -> Participation:
    """Subscribe a number (given, or the person's) to the campaign's TEXT consent; a
    new participant's `external_id` (their clientUserId) is attached to them."""
    await campaign(connection, company.id, campaign_id)
    if phone is None:
        if person is None:
            raise InvalidInput("a participant needs a mobile_phone, person_id or external id")
        phone = (await person_profile(connection, person)).phone
        if phone is None:
            raise InvalidInput("the person has no mobile phone to subscribe")
    command = SubscribeCommand(
        contacts=ContactPoints(phone=phone),
        unit_id=str(campaign_id),
        channels=[Channel.TEXT],
        method=None,
        external_identifiers=(
            [
                Identifier(
                    IdentifierKind.CLIENT_USER_ID, single_line(external_id, "external_person_id")
                )
            ]
            if external_id
            else []
        ),
        person=person,
    )
    result = await subscribe(connection, company, command, context)
    [outcome] = result.outcomes
    if outcome.status == CreationStatus.PREVIOUSLY_CREATED:
        # Raised inside the unit of work: the repeat it recorded is rolled back.
        raise Conflict(f"{phone} is already subscribed", code="ALREADYSUBSCRIBED")
    if custom:
        await set_attributes(
            connection, company.id, result.person.id, AttributeChanges(custom=custom), context
        )
    status = RecordStatus.PENDING if result.unit.double_opt_in else RecordStatus.ACTIVE
    return Participation(result.person, outcome.record_id, status)


async def participants(
    connection: Connection, company_id: int, campaign_id: int, status: RecordStatus | None
) -> list[tuple[RecordRow, str]]:
    """The records a campaign opened (of one status, if given), with the person's key."""
    await campaign(connection, company_id, campaign_id)
    return await records_of_unit(
        connection, company_id, campaign_id, None if status is None else status.value
    )
