"""Acquisition campaigns (sign-up units as Vibes sees them) and their participants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optledger.core import campaigns as rules
from optledger.core.campaigns import Participation
from optledger.core.consent import RecordStatus
from optledger.core.context import RequestContext
from optledger.core.people import find_person
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.records import RecordRow as RecordRow
from optledger.storage.repositories.units import UnitRow as UnitRow
from optledger.storage.sql import Connection


async def list_campaigns(database: Database, company_id: int) -> list[UnitRow]:
    """The company's campaigns, archived ones included."""
    return await database.read(lambda connection: rules.campaigns(connection, company_id))


async def get_campaign(database: Database, company_id: int, campaign_id: int) -> UnitRow:
    """One campaign of the company, or `NotFound`."""
    return await database.read(
        lambda connection: rules.campaign(connection, company_id, campaign_id)
    )


async def join_campaign(
    database: Database,
    company: CompanyRow,
    campaign_id: int,
    context: RequestContext,
    *,
    phone: str | None = None,
    person_key: str | None = None,
    external_id: str | None = None,
    custom: Mapping[str, Any] | None = None,
) -> Participation:
    """Subscribe a number to the campaign: the one given, or else the phone of the person
    the key or external id names (an external id with a phone goes to a new participant)."""

    async def apply(connection: Connection) -> Participation:
        person = None
        if phone is None and (person_key or external_id):
            person = await find_person(
                connection, company.id, person_key=person_key, external_id=external_id
            )
        return await rules.join_campaign(
            connection,
            company,
            campaign_id,
            context,
            phone=phone,
            person=person,
            external_id=external_id if person is None else None,
            custom=custom,
        )

    return await database.run(apply)


async def list_participants(
    database: Database, company_id: int, campaign_id: int, status: RecordStatus | None
) -> list[tuple[RecordRow, str]]:
    """The records the campaign opened (of one status, if given), with the person's key."""
    return await database.read(
        lambda connection: rules.participants(connection, company_id, campaign_id, status)
    )
