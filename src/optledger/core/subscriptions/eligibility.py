"""May this contact point be messaged now? Only an ACTIVE record says yes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel, RecordStatus, SubscriptionType
from optledger.core.errors import NotFound
from optledger.core.people import any_identifier_known
from optledger.core.subscriptions.contacts import ContactPoints
from optledger.storage.tables import SubscriptionRecord


@dataclass(frozen=True)
class Eligibility:
    """Whether one (type, channel) may be messaged."""

    type: SubscriptionType
    channel: Channel
    is_eligible: bool


async def check_eligibility(
    session: AsyncSession, company_id: int, contacts: ContactPoints
) -> list[Eligibility]:
    """Eligibility of every subscription the contact points have, in one query."""
    conditions = [
        (SubscriptionRecord.channel == channel.value)
        & (SubscriptionRecord.contact_value == contacts.for_channel(channel))
        for channel in contacts.channels
    ]
    active = func.max(case((SubscriptionRecord.status == RecordStatus.ACTIVE.value, 1), else_=0))
    rows = (
        await session.execute(
            select(SubscriptionRecord.type, SubscriptionRecord.channel, active)
            .where(SubscriptionRecord.company_id == company_id)
            .where(or_(*conditions))
            .group_by(SubscriptionRecord.type, SubscriptionRecord.channel)
            .order_by(SubscriptionRecord.channel, SubscriptionRecord.type)
        )
    ).all()
    if not rows and not await any_identifier_known(session, company_id, contacts.identifiers):
        raise NotFound("no subscriber has this phone or email")
    return [
        Eligibility(SubscriptionType(sub_type), Channel(channel), bool(is_active))
        for sub_type, channel, is_active in rows
    ]
