"""May this contact point be messaged now? Only an ACTIVE record says yes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.contact_points import ContactPoints
from optledger.core.errors import NotFound, OptledgerError
from optledger.storage.repositories import records as stored
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class Eligibility:
    """Whether one (type, channel) may be messaged."""

    type: SubscriptionType
    channel: Channel
    is_eligible: bool


def _eligibility(found: Sequence[stored.Eligible]) -> list[Eligibility]:
    return [
        Eligibility(SubscriptionType(item.type), Channel(item.channel), item.active)
        for item in found
    ]


async def check_eligibility(
    connection: Connection, company_id: int, contacts: ContactPoints
) -> list[Eligibility]:
    """Eligibility of every subscription the contact points have, in one statement."""
    found = await stored.eligibility(connection, company_id, contacts.phone, contacts.email)
    if found is None:
        raise NotFound("no subscriber has this phone or email")
    return _eligibility(found)


async def check_eligibility_of_many(
    connection: Connection, company_id: int, values: Sequence[str]
) -> dict[str, list[Eligibility]]:
    """Eligibility of many contact values (phones and emails) in one statement.

    A value with no record is absent from the answer: it may not be messaged.
    """
    found = await stored.eligibility_of_many(connection, company_id, values)
    return {value: _eligibility(items) for value, items in found.items()}


@dataclass(frozen=True)
class BatchAnswer:
    """One contact point of a batch: its eligibilities, or why it could not be read."""

    contacts: ContactPoints | None
    eligibilities: list[Eligibility]
    error: str | None = None


async def check_eligibility_of_batch(
    connection: Connection, company_id: int, users: Sequence[tuple[str | None, str | None]]
) -> list[BatchAnswer]:
    """Eligibility of many (phone, email) pairs, in request order, in one statement.

    An invalid contact point is answered with its error instead of failing the
    batch; an unknown one has no eligibilities.
    """
    parsed: list[ContactPoints | OptledgerError] = []
    for phone, email in users:
        try:
            parsed.append(ContactPoints.parse(phone, email))
        except OptledgerError as exc:
            parsed.append(exc)
    values = {value for item in parsed if isinstance(item, ContactPoints) for value in item.values}
    found = await check_eligibility_of_many(connection, company_id, sorted(values))
    return [
        BatchAnswer(
            contacts=item,
            eligibilities=[e for value in item.values for e in found.get(value, [])],
        )
        if isinstance(item, ContactPoints)
        else BatchAnswer(contacts=None, eligibilities=[], error=item.message)
        for item in parsed
    ]


async def eligible_among(
    connection: Connection,
    company_id: int,
    values: Sequence[str],
    sub_type: SubscriptionType,
    channel: Channel | None = None,
) -> set[str]:
    """Which of these normalised contact values may receive `sub_type` now.

    `channel` narrows to phones (TEXT) or emails (EMAIL); each value counts on its
    own channel.
    """
    found = await check_eligibility_of_many(connection, company_id, values)
    return {
        value
        for value, items in found.items()
        if any(
            item.is_eligible
            and item.type == sub_type
            and (channel is None or item.channel == channel)
            for item in items
        )
    }
