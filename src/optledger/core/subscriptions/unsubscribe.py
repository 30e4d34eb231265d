"""The one opt-out flow: end the open records of the named contact points.

Every door that takes an opt-out comes here: the Attentive unsubscribe, an
inbound STOP, and the legacy and Vibes opt-outs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.consent import (
    Channel,
    OptOutReason,
    SubscriptionType,
    UnsubscribeStatus,
)
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import EventType, new_event, record_events
from optledger.core.people import any_identifier_known
from optledger.core.subscriptions.notices import send_text_notice
from optledger.core.subscriptions.records import end_open_records
from optledger.core.templates import MessageKind
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.records import RecordRow, records_of_contacts
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class UnsubscribeCommand:
    """An opt-out: which contact points, optionally which subscriptions."""

    contacts: ContactPoints
    subscriptions: Sequence[tuple[SubscriptionType, Channel]] | None = None
    notify: bool = True
    notification_locale: str | None = None
    reason: OptOutReason = OptOutReason.API_OPT_OUT
    # An API opt-out names a subscriber it knows; a STOP may come from anyone.
    must_be_known: bool = True
    # A STOP is always answered, even from a number with nothing to end.
    always_notify: bool = False


@dataclass(frozen=True)
class UnsubscribeOutcome:
    """What happened on one (type, channel)."""

    type: SubscriptionType
    channel: Channel
    status: UnsubscribeStatus


@dataclass(frozen=True)
class UnsubscribeResult:
    """An outcome per (type, channel), and the records the opt-out ended."""

    outcomes: list[UnsubscribeOutcome]
    ended_ids: list[int]


def _targets(
    command: UnsubscribeCommand, records: list[RecordRow]
) -> list[tuple[SubscriptionType, Channel]]:
    if command.subscriptions is None:
        return list(dict.fromkeys((SubscriptionType(r.type), Channel(r.channel)) for r in records))
    for sub_type, channel in command.subscriptions:
        if command.contacts.for_channel(channel) is None:
            contact = "phone" if channel == Channel.TEXT else "email"
            raise InvalidInput(f"unsubscribing from {sub_type} {channel} needs user.{contact}")
    return list(dict.fromkeys(command.subscriptions))


async def unsubscribe(
    connection: Connection,
    company: CompanyRow,
    command: UnsubscribeCommand,
    context: RequestContext,
) -> UnsubscribeResult:
    """End every open record the command covers; repeats are recorded as events.

    A phone only reaches TEXT records and an email only EMAIL ones.
    """
    contacts = command.contacts
    records = [
        record
        for record in await records_of_contacts(connection, company.id, contacts.values)
        if record.contact_value == contacts.for_channel(Channel(record.channel))
    ]
    if (
        command.must_be_known
        and not records
        and not await any_identifier_known(connection, company.id, contacts.identifiers)
    ):
        raise NotFound("no subscriber has this phone or email")

    targets = _targets(command, records)
    to_end = [r for r in records if (SubscriptionType(r.type), Channel(r.channel)) in targets]
    ended = await end_open_records(connection, to_end, command.reason, context)
    outcomes = []
    repeats = []
    for sub_type, channel in targets:
        if any(r.type == sub_type and r.channel == channel for r in ended):
            outcomes.append(
                UnsubscribeOutcome(sub_type, channel, UnsubscribeStatus.NEWLY_UNSUBSCRIBED)
            )
            continue
        matching = [r for r in records if r.type == sub_type and r.channel == channel]
        repeats.append(
            new_event(
                company.id,
                EventType.UNSUBSCRIBE_REPEATED,
                context,
                person_id=matching[-1].person_id if matching else None,
                channel=channel.value,
                contact_value=contacts.for_channel(channel),
                data={"type": sub_type.value, "reason": command.reason.value},
            )
        )
        outcomes.append(
            UnsubscribeOutcome(sub_type, channel, UnsubscribeStatus.PREVIOUSLY_UNSUBSCRIBED)
        )
    if not targets:
        repeats.extend(
            new_event(
                company.id,
                EventType.UNSUBSCRIBE_REPEATED,
                context,
                channel=channel.value,
                contact_value=contacts.for_channel(channel),
                data={"reason": command.reason.value},
            )
            for channel in contacts.channels
        )
    await record_events(connection, repeats)

    text_touched = any(outcome.channel == Channel.TEXT for outcome in outcomes)
    if command.notify and contacts.phone and (text_touched or command.always_notify):
        await send_text_notice(
            connection,
            company,
            contacts.phone,
            MessageKind.OPT_OUT_CONFIRMATION,
            context,
            locale=command.notification_locale,
            records=records,
        )
    return UnsubscribeResult(outcomes, [record.id for record in ended])
