"""The unsubscribe flow: end the open records of the named contact points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import (
    Channel,
    OptOutReason,
    SubscriptionType,
    UnsubscribeStatus,
)
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import EventType, record_event
from optledger.core.people import any_identifier_known
from optledger.core.subscriptions.contacts import ContactPoints
from optledger.core.subscriptions.notices import send_text_notice
from optledger.core.subscriptions.records import end_open_records, records_for_contacts
from optledger.core.templates import MessageKind
from optledger.storage.tables import Company, SubscriptionRecord


@dataclass(frozen=True)
class UnsubscribeCommand:
    """An opt-out: which contact points, optionally which subscriptions."""

    contacts: ContactPoints
    subscriptions: Sequence[tuple[SubscriptionType, Channel]] | None = None
    notify: bool = True
    notification_locale: str | None = None
    reason: OptOutReason = OptOutReason.API_OPT_OUT


@dataclass(frozen=True)
class UnsubscribeOutcome:
    """What happened on one (type, channel)."""

    type: SubscriptionType
    channel: Channel
    status: UnsubscribeStatus


def _targets(
    command: UnsubscribeCommand, records: list[SubscriptionRecord]
) -> list[tuple[SubscriptionType, Channel]]:
    if command.subscriptions is None:
        return list(dict.fromkeys((SubscriptionType(r.type), Channel(r.channel)) for r in records))
    for sub_type, channel in command.subscriptions:
        if command.contacts.for_channel(channel) is None:
            contact = "phone" if channel == Channel.TEXT else "email"
            raise InvalidInput(f"unsubscribing from {sub_type} {channel} needs user.{contact}")
    return list(dict.fromkeys(command.subscriptions))


async def unsubscribe(
    session: AsyncSession,
    company: Company,
    command: UnsubscribeCommand,
    context: RequestContext,
) -> list[UnsubscribeOutcome]:
    """End every open record the command covers; repeats are recorded as events.

    A phone only reaches TEXT records and an email only EMAIL ones.
    """
    contacts = command.contacts
    records = [
        record
        for record in await records_for_contacts(
            session, company.id, [value for value in (contacts.phone, contacts.email) if value]
        )
        if record.contact_value == contacts.for_channel(Channel(record.channel))
    ]
    if not records and not await any_identifier_known(session, company.id, contacts.identifiers):
        raise NotFound("no subscriber has this phone or email")

    outcomes = []
    for sub_type, channel in _targets(command, records):
        contact = contacts.for_channel(channel)
        matching = [r for r in records if r.type == sub_type and r.channel == channel]
        open_ones = end_open_records(session, matching, command.reason, context)
        if not open_ones:
            record_event(
                session,
                company.id,
                EventType.UNSUBSCRIBE_REPEATED,
                context,
                person_id=matching[-1].person_id if matching else None,
                channel=channel.value,
                contact_value=contact,
                data={"type": sub_type.value, "reason": command.reason.value},
            )
        status = (
            UnsubscribeStatus.NEWLY_UNSUBSCRIBED
            if open_ones
            else UnsubscribeStatus.PREVIOUSLY_UNSUBSCRIBED
        )
        outcomes.append(UnsubscribeOutcome(sub_type, channel, status))

    text_touched = any(outcome.channel == Channel.TEXT for outcome in outcomes)
    if command.notify and text_touched and contacts.phone:
        await send_text_notice(
            session,
            company,
            contacts.phone,
            MessageKind.OPT_OUT_CONFIRMATION,
            context,
            locale=command.notification_locale,
            records=records,
        )
    return outcomes
