"""Double opt-in: answering the "Reply Y" prompt, blocks after a NO, and expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel, ConsentAction, RecordStatus, next_status
from optledger.core.context import RequestContext
from optledger.core.errors import ConfirmationBlocked
from optledger.core.events import EventType, record_event_on
from optledger.core.messages import queue_message
from optledger.core.subscriptions.records import record_locale
from optledger.core.templates import MessageKind
from optledger.storage.tables import Company, ConfirmationBlock, SignUpUnit, SubscriptionRecord
from optledger.storage.types import utcnow

_EVENT_BY_ACTION = {
    ConsentAction.CONFIRM: EventType.SUBSCRIPTION_CONFIRMED,
    ConsentAction.DECLINE: EventType.SUBSCRIPTION_DECLINED,
    ConsentAction.EXPIRE: EventType.SUBSCRIPTION_EXPIRED,
}


async def pending_text_records(
    session: AsyncSession, company_id: int, phone: str
) -> list[SubscriptionRecord]:
    """The TEXT records of a number still waiting for Y or N, oldest first."""
    return list(
        await session.scalars(
            select(SubscriptionRecord)
            .where(
                SubscriptionRecord.company_id == company_id,
                SubscriptionRecord.contact_value == phone,
                SubscriptionRecord.channel == Channel.TEXT,
                SubscriptionRecord.status == RecordStatus.PENDING,
            )
            .order_by(SubscriptionRecord.id)
        )
    )


def _answer(
    session: AsyncSession,
    record: SubscriptionRecord,
    action: ConsentAction,
    context: RequestContext,
    now: datetime,
) -> None:
    record.status = next_status(RecordStatus(record.status), action).value
    record.updated_at = now
    if action == ConsentAction.CONFIRM:
        record.opt_in_date = now
    record_event_on(session, record, _EVENT_BY_ACTION[action], context, unit_id=record.unit_id)


async def confirm_pending(
    session: AsyncSession,
    company: Company,
    records: list[SubscriptionRecord],
    context: RequestContext,
) -> None:
    """The number replied Y: each record becomes ACTIVE and its welcome message is sent."""
    now = utcnow()
    for record in records:
        _answer(session, record, ConsentAction.CONFIRM, context, now)
        unit = await session.get(SignUpUnit, record.unit_id) if record.unit_id else None
        queue_message(
            session,
            company,
            context,
            channel=Channel(record.channel),
            to=record.contact_value,
            kind=MessageKind.WELCOME,
            locale=record_locale(record),
            person_id=record.person_id,
            unit=unit,
        )


async def decline_pending(
    session: AsyncSession, records: list[SubscriptionRecord], context: RequestContext
) -> None:
    """The number replied N: each record is DECLINED and its unit may not prompt again."""
    now = utcnow()
    for record in records:
        _answer(session, record, ConsentAction.DECLINE, context, now)
        if record.unit_id is not None and not await _block(
            session, record.company_id, record.unit_id, record.contact_value
        ):
            session.add(
                ConfirmationBlock(
                    company_id=record.company_id,
                    unit_id=record.unit_id,
                    contact_value=record.contact_value,
                    created_at=now,
                )
            )


async def _block(
    session: AsyncSession, company_id: int, unit_id: int, contact_value: str
) -> ConfirmationBlock | None:
    return await session.scalar(
        select(ConfirmationBlock).where(
            ConfirmationBlock.company_id == company_id,
            ConfirmationBlock.unit_id == unit_id,
            ConfirmationBlock.contact_value == contact_value,
        )
    )


async def check_confirmation_block(
    session: AsyncSession, unit: SignUpUnit, contact_value: str, *, initiated_by_contact: bool
) -> None:
    """Refuse to prompt a number that said NO to this unit.

    A number that asks again itself (a keyword, START) lifts its own block.
    """
    block = await _block(session, unit.company_id, unit.id, contact_value)
    if block is None:
        return
    if initiated_by_contact:
        await session.delete(block)
        return
    raise ConfirmationBlocked(
        f"{contact_value} answered NO to sign-up unit {unit.id}'s confirmation prompt"
    )


async def expire_pending(session: AsyncSession, older_than: datetime, *, limit: int = 500) -> int:
    """Expire prompts left unanswered since before `older_than`, in every company."""
    query = (
        select(SubscriptionRecord)
        .where(
            SubscriptionRecord.status == RecordStatus.PENDING,
            SubscriptionRecord.created_at < older_than,
        )
        .order_by(SubscriptionRecord.created_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several workers sweep at once; each takes rows no other sweep holds.
        query = query.with_for_update(skip_locked=True)
    records = list(await session.scalars(query))
    context = RequestContext(source="expiry")
    now = utcnow()
    for record in records:
        _answer(session, record, ConsentAction.EXPIRE, context, now)
    return len(records)
