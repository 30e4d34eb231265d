"""Queries and changes on subscription records shared by the flows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import (
    OPEN_STATUSES,
    ConsentAction,
    OptOutReason,
    RecordStatus,
    is_open,
    next_status,
)
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event_on
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
    *,
    at: datetime | None = None,
) -> None:
    """Close an open record with an opt-out and record why.

    Records ended by one opt-out share `at`, so that opt-out can be found again (START).
    """
    now = at or utcnow()
    record.status = next_status(RecordStatus(record.status), ConsentAction.OPT_OUT).value
    record.opt_out_date = now
    record.opt_out_reason = reason.value
    record.updated_at = now
    record_event_on(session, record, EventType.SUBSCRIPTION_ENDED, context, reason=reason.value)


def end_open_records(
    session: AsyncSession,
    records: Sequence[SubscriptionRecord],
    reason: OptOutReason,
    context: RequestContext,
) -> list[SubscriptionRecord]:
    """End the open ones among `records`, all at one time; returns those it ended.

    One opt-out shares one time, so it can be found again (START after STOP).
    """
    ended = [record for record in records if is_open(RecordStatus(record.status))]
    now = utcnow()
    for record in ended:
        end_record(session, record, reason, context, at=now)
    return ended


def record_locale(record: SubscriptionRecord) -> str:
    """The locale a record's consent was given in, e.g. en-US."""
    return f"{record.language}-{record.country}"
