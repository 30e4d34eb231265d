"""Inbound SMS: what a text from a number does to its consent.

Only a message that is exactly one keyword (trimmed, any case) acts; anything else
is kept and ignored. Every message is stored, keyword or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel, OptOutReason, RecordStatus
from optledger.core.contact_points import normalize_e164_phone
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.core.sign_up_units import ACTIVE
from optledger.core.subscriptions.confirmations import (
    confirm_pending,
    decline_pending,
    pending_text_records,
)
from optledger.core.subscriptions.contacts import ContactPoints
from optledger.core.subscriptions.notices import send_text_notice
from optledger.core.subscriptions.records import end_open_records, records_for_contacts
from optledger.core.subscriptions.subscribe import (
    SubscribeCommand,
    open_subscription,
    subscribe,
)
from optledger.core.templates import MessageKind
from optledger.storage.tables import Company, InboundMessage, Person, SignUpUnit

KEYWORD_METHOD = "KEYWORD"
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
RESUBSCRIBE_KEYWORDS = frozenset({"START", "UNSTOP"})
CONFIRM_KEYWORDS = frozenset({"Y", "YES"})
DECLINE_KEYWORDS = frozenset({"N", "NO"})
RESERVED_KEYWORDS = (
    OPT_OUT_KEYWORDS | HELP_KEYWORDS | RESUBSCRIBE_KEYWORDS | CONFIRM_KEYWORDS | DECLINE_KEYWORDS
)


class InboundAction(StrEnum):
    """What an inbound message did."""

    OPT_OUT = "opt_out"
    HELP = "help"
    CONFIRM = "confirm"
    DECLINE = "decline"
    RESUBSCRIBE = "resubscribe"
    UNIT_KEYWORD = "unit_keyword"
    IGNORED = "ignored"


@dataclass(frozen=True)
class InboundSms:
    """One text as a provider hands it over."""

    from_number: str
    body: str
    to_number: str | None = None
    provider: str = "api"
    provider_message_id: str | None = None


@dataclass(frozen=True)
class InboundOutcome:
    """What the text did, and which records it changed or opened."""

    action: InboundAction
    record_ids: list[int] = field(default_factory=list)


async def receive_sms(
    session: AsyncSession, company: Company, sms: InboundSms, context: RequestContext
) -> InboundOutcome:
    """Store one inbound text and apply its keyword, if it is exactly one."""
    phone = normalize_e164_phone(sms.from_number.strip())
    outcome = await _apply_keyword(session, company, phone, sms.body.strip().upper(), context)
    session.add(
        InboundMessage(
            company_id=company.id,
            from_address=phone,
            to_address=sms.to_number,
            body=sms.body,
            action=outcome.action.value,
            provider=sms.provider,
            provider_message_id=sms.provider_message_id,
        )
    )
    record_event(
        session,
        company.id,
        EventType.INBOUND_RECEIVED,
        context,
        channel=Channel.TEXT.value,
        contact_value=phone,
        data={"action": outcome.action.value, "records": outcome.record_ids},
    )
    return outcome


async def _apply_keyword(
    session: AsyncSession, company: Company, phone: str, word: str, context: RequestContext
) -> InboundOutcome:
    if word in OPT_OUT_KEYWORDS:
        return await _opt_out(session, company, phone, context)
    if word in HELP_KEYWORDS:
        await send_text_notice(session, company, phone, MessageKind.HELP, context)
        return InboundOutcome(InboundAction.HELP)
    if word in CONFIRM_KEYWORDS | DECLINE_KEYWORDS:
        pending = await pending_text_records(session, company.id, phone)
        if pending and word in CONFIRM_KEYWORDS:
            await confirm_pending(session, company, pending, context)
            return InboundOutcome(InboundAction.CONFIRM, [r.id for r in pending])
        if pending:
            await decline_pending(session, pending, context)
            return InboundOutcome(InboundAction.DECLINE, [r.id for r in pending])
    if word in RESUBSCRIBE_KEYWORDS or word == "YES":
        return await _resubscribe(session, company, phone, context)
    unit = await _keyword_unit(session, company.id, word)
    if unit is not None:
        command = SubscribeCommand(
            contacts=ContactPoints(phone=phone),
            unit_id=str(unit.id),
            channels=[Channel.TEXT],
            method=KEYWORD_METHOD,
            initiated_by_contact=True,
        )
        result = await subscribe(session, company, command, context)
        return InboundOutcome(InboundAction.UNIT_KEYWORD, [o.record_id for o in result.outcomes])
    return InboundOutcome(InboundAction.IGNORED)


async def _opt_out(
    session: AsyncSession, company: Company, phone: str, context: RequestContext
) -> InboundOutcome:
    """End every TEXT subscription of the number; one confirmation, subscribed or not."""
    records = [
        record
        for record in await records_for_contacts(session, company.id, [phone])
        if record.channel == Channel.TEXT
    ]
    ended = end_open_records(session, records, OptOutReason.KEYWORD_OPT_OUT, context)
    if not ended:
        record_event(
            session,
            company.id,
            EventType.UNSUBSCRIBE_REPEATED,
            context,
            channel=Channel.TEXT.value,
            contact_value=phone,
            data={"reason": OptOutReason.KEYWORD_OPT_OUT.value},
        )
    await send_text_notice(
        session, company, phone, MessageKind.OPT_OUT_CONFIRMATION, context, records=records
    )
    return InboundOutcome(InboundAction.OPT_OUT, [record.id for record in ended])


async def _resubscribe(
    session: AsyncSession, company: Company, phone: str, context: RequestContext
) -> InboundOutcome:
    """Open new ACTIVE records for what the number's last keyword opt-out ended."""
    ended = [
        record
        for record in await records_for_contacts(session, company.id, [phone])
        if record.channel == Channel.TEXT
        and record.opt_out_reason == OptOutReason.KEYWORD_OPT_OUT
        and record.opt_out_date is not None
    ]
    if not ended:
        return InboundOutcome(InboundAction.IGNORED)
    last = max(record.opt_out_date for record in ended if record.opt_out_date)
    opened = []
    for record in (r for r in ended if r.opt_out_date == last and r.unit_id is not None):
        unit = await session.get_one(SignUpUnit, record.unit_id)
        person = await session.get_one(Person, record.person_id)
        outcome = await open_subscription(
            session,
            company,
            person,
            unit,
            Channel.TEXT,
            phone,
            context,
            status=RecordStatus.ACTIVE,
            initiated_by_contact=True,
        )
        opened.append(outcome.record_id)
    return InboundOutcome(InboundAction.RESUBSCRIBE, opened)


async def _keyword_unit(session: AsyncSession, company_id: int, word: str) -> SignUpUnit | None:
    units = await session.scalars(
        select(SignUpUnit)
        .where(
            SignUpUnit.company_id == company_id,
            SignUpUnit.method == KEYWORD_METHOD,
            SignUpUnit.status == ACTIVE,
        )
        .order_by(SignUpUnit.id)
    )
    # Keywords are kept upper-cased in a JSON list; a company has few keyword units.
    return next(
        (unit for unit in units if word in unit.keywords and Channel.TEXT in unit.channels), None
    )
