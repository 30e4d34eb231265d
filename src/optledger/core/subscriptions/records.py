"""Queries and changes on subscription records shared by the flows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import (
    OPEN_STATUSES,
    ConsentAction,
    OptOutReason,
    RecordStatus,
    next_status,
)
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.storage.tables import SubscriptionRecord
from optledger.storage.types import utcnow


async def records_for_contacts(
    session: AsyncSession, company_id: int, contact_values: Sequence[str]
) -> list[SubscriptionRecord]:
    """Every record, open or closed, of these contact points, oldest first."""
    if not contact_values:
        return []
    return list(
        await session.scalars(
            select(SubscriptionRecord)
            .where(
                SubscriptionRecord.company_id == company_id,
                SubscriptionRecord.contact_value.in_(contact_values),
            )
            .order_by(SubscriptionRecord.id)
        )
    )


async def open_record(
    session: AsyncSession, company_id: int, list_id: int, contact_value: str
) -> SubscriptionRecord | None:
    """The PENDING or ACTIVE record of a contact point on a list, if any."""
    return await session.scalar(
        select(SubscriptionRecord).where(
            SubscriptionRecord.company_id == company_id,
            SubscriptionRecord.list_id == list_id,
            SubscriptionRecord.contact_value == contact_value,
            SubscriptionRecord.status.in_([status.value for status in OPEN_STATUSES]),
        )
    )


def end_record(
    session: AsyncSession,
    record: SubscriptionRecord,
    reason: OptOutReason,
    context: RequestContext,
) -> None:
    """Close an open record with an opt-out and record why."""
    now = utcnow()
    record.status = next_status(RecordStatus(record.status), ConsentAction.OPT_OUT).value
    record.opt_out_date = now
    record.opt_out_reason = reason.value
    record.updated_at = now
    record_event(
        session,
        record.company_id,
        EventType.SUBSCRIPTION_ENDED,
        context,
        person_id=record.person_id,
        record_id=record.id,
        channel=record.channel,
        contact_value=record.contact_value,
        data={"reason": reason.value, "type": record.type},
    )
