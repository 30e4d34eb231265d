"""Inbound SMS: what a text from a number does to its consent.

Only a message that is exactly one keyword (trimmed, any case) acts; anything else
is kept and ignored. Every message is stored, keyword or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from optledger.core.catalog import Catalog, load_catalog
from optledger.core.consent import Channel, OptOutReason, RecordStatus
from optledger.core.contact_points import ContactPoints, normalize_phone
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.core.keywords import (
    CONFIRM_KEYWORDS,
    DECLINE_KEYWORDS,
    HELP_KEYWORDS,
    KEYWORD_METHOD,
    OPT_OUT_KEYWORDS,
    RESUBSCRIBE_KEYWORDS,
)
from optledger.core.message_kinds import MessageKind
from optledger.core.sign_up_units import ACTIVE
from optledger.core.subscriptions.confirmations import confirm_pending, decline_pending
from optledger.core.subscriptions.notices import send_text_notice
from optledger.core.subscriptions.subscribe import (
    SubscribeCommand,
    open_subscription,
    subscribe,
)
from optledger.core.subscriptions.unsubscribe import UnsubscribeCommand, unsubscribe
from optledger.core.text import CONTROL_IN_FREE_TEXT, single_line
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.inbound import (
    NewInboundMessage,
    action_of_provider_message,
    insert_inbound_message,
)
from optledger.storage.repositories.records import pending_text_records, records_of_contacts
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection


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
    # The provider delivered this message before; nothing was done again.
    duplicate: bool = False


async def receive_sms(
    connection: Connection, company: CompanyRow, sms: InboundSms, context: RequestContext
) -> InboundOutcome:
    """Store one inbound text and apply its keyword, if it is exactly one.

    A text the provider delivers again (same provider message id) does nothing the
    second time: providers retry webhooks. Two deliveries racing collide on the
    unique provider id, and the loser's replay finds the first.
    """
    phone = normalize_phone(sms.from_number)
    for field_name, value in (("to", sms.to_number), ("message id", sms.provider_message_id)):
        if value:
            single_line(value, field_name)
    # A carrier's text may hold control characters (a gateway that decodes GSM's "@",
    # 0x00, to NUL): the keyword is read without them, and the text is kept with each
    # shown as U+FFFD, since PostgreSQL text holds no NUL. A STOP is never lost to one.
    keyword = CONTROL_IN_FREE_TEXT.sub("", sms.body).strip().upper()
    body = CONTROL_IN_FREE_TEXT.sub("\ufffd", sms.body)
    if sms.provider_message_id:
        done = await action_of_provider_message(
            connection, company.id, sms.provider, sms.provider_message_id
        )
        if done is not None:
            return InboundOutcome(InboundAction(done), duplicate=True)
    outcome = await _apply_keyword(connection, company, phone, keyword, context)
    await insert_inbound_message(
        connection,
        NewInboundMessage(
            company_id=company.id,
            from_address=phone,
            to_address=sms.to_number,
            body=body,
            action=outcome.action.value,
            provider=sms.provider,
            provider_message_id=sms.provider_message_id,
            received_at=utcnow(),
        ),
    )
    await record_event(
        connection,
        company.id,
        EventType.INBOUND_RECEIVED,
        context,
        channel=Channel.TEXT.value,
        contact_value=phone,
        data={"action": outcome.action.value, "records": outcome.record_ids},
    )
    return outcome


async def _apply_keyword(
    connection: Connection, company: CompanyRow, phone: str, word: str, context: RequestContext
) -> InboundOutcome:
    if word in OPT_OUT_KEYWORDS:
        return await _opt_out(connection, company, phone, context)
    if word in HELP_KEYWORDS:
        await send_text_notice(connection, company, phone, MessageKind.HELP, context)
        return InboundOutcome(InboundAction.HELP)
    catalog = await load_catalog(connection, company.id)
    if word in CONFIRM_KEYWORDS | DECLINE_KEYWORDS:
        pending = await pending_text_records(connection, company.id, phone)
        if pending and word in CONFIRM_KEYWORDS:
            confirmed = await confirm_pending(connection, catalog, pending, context)
            return InboundOutcome(InboundAction.CONFIRM, [r.id for r in confirmed])
        if pending:
            declined = await decline_pending(connection, pending, context)
            return InboundOutcome(InboundAction.DECLINE, [r.id for r in declined])
    if word in RESUBSCRIBE_KEYWORDS or word == "YES":
        return await _resubscribe(connection, catalog, phone, context)
    unit = _keyword_unit(catalog, word)
    if unit is not None:
        command = SubscribeCommand(
            contacts=ContactPoints(phone=phone),
            unit_id=str(unit.id),
            channels=[Channel.TEXT],
            method=KEYWORD_METHOD,
            initiated_by_contact=True,
        )
        result = await subscribe(connection, company, command, context)
        return InboundOutcome(InboundAction.UNIT_KEYWORD, [o.record_id for o in result.outcomes])
    return InboundOutcome(InboundAction.IGNORED)


async def _opt_out(
    connection: Connection, company: CompanyRow, phone: str, context: RequestContext
) -> InboundOutcome:
    """End every TEXT subscription of the number; one confirmation, subscribed or not."""
    command = UnsubscribeCommand(
        contacts=ContactPoints(phone=phone),
        reason=OptOutReason.KEYWORD_OPT_OUT,
        must_be_known=False,
        always_notify=True,
    )
    outcome = await unsubscribe(connection, company, command, context)
    return InboundOutcome(InboundAction.OPT_OUT, outcome.ended_ids)


async def _resubscribe(
    connection: Connection, catalog: Catalog, phone: str, context: RequestContext
) -> InboundOutcome:
    """Open new ACTIVE records for what the number's last keyword opt-out ended."""
    ended = [
        record
        for record in await records_of_contacts(connection, catalog.company.id, [phone])
        if record.channel == Channel.TEXT
        and record.opt_out_reason == OptOutReason.KEYWORD_OPT_OUT
        and record.opt_out_date is not None
    ]
    if not ended:
        return InboundOutcome(InboundAction.IGNORED)
    last = max(record.opt_out_date for record in ended if record.opt_out_date)
    opened = []
    for record in (r for r in ended if r.opt_out_date == last and r.unit_id is not None):
        unit = catalog.unit(record.unit_id) if record.unit_id is not None else None
        assert unit is not None
        outcome = await open_subscription(
            connection,
            catalog,
            record.person_id,
            unit,
            Channel.TEXT,
            phone,
            context,
            status=RecordStatus.ACTIVE,
            initiated_by_contact=True,
        )
        opened.append(outcome.record_id)
    return InboundOutcome(InboundAction.RESUBSCRIBE, opened)


def _keyword_unit(catalog: Catalog, word: str) -> UnitRow | None:
    # Keywords are kept upper-cased; a company has few keyword units.
    return next(
        (
            unit
            for unit in catalog.units
            if unit.method == KEYWORD_METHOD
            and unit.status == ACTIVE
            and word in unit.keywords
            and Channel.TEXT in unit.channels
        ),
        None,
    )
