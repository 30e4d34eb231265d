"""The one opt-out flow: end the open records of the named contact points.

Every door that takes an opt-out comes here: the Attentive unsubscribe, an
inbound STOP, and the legacy and Vibes opt-outs. It reads the records, decides,
and writes once (see `storage.repositories.opt_outs`): on PostgreSQL it can run
outside an explicit transaction (`Database.run(..., one_write=True)`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optledger.core.consent import (
    Channel,
    OptOutReason,
    RecordStatus,
    SubscriptionType,
    UnsubscribeStatus,
    is_open,
)
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import EventType, event_on, new_event
from optledger.core.message_kinds import MessageKind
from optledger.core.people import any_identifier_known
from optledger.core.subscriptions.notices import text_notice
from optledger.storage.clock import utcnow
from optledger.storage.database import LostRace
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.opt_outs import end_with_events_and_notice
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
    # The legacy API calls a subscriber only a contact point with subscriptions.
    needs_records: bool = False
    # A STOP is always answered, even from a number with nothing to end.
    always_notify: bool = False
    # Whether an opt-out that ends nothing new still confirms (the legacy API: no).
    notify_repeats: bool = True
    # What its events carry besides the reason: an operator's name and why they acted.
    event_data: Mapping[str, str] | None = None


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
    if not records and (
        command.needs_records
        or (
            command.must_be_known
            and not await any_identifier_known(connection, company.id, contacts.identifiers)
        )
    ):
        raise NotFound("no subscriber has this phone or email")

    targets = _targets(command, records)
    open_targets = [
        r
        for r in records
        if (SubscriptionType(r.type), Channel(r.channel)) in targets
        and is_open(RecordStatus(r.status))
    ]
    now = utcnow()
    data = {**(command.event_data or {}), "reason": command.reason.value}
    events = [event_on(r, EventType.SUBSCRIPTION_ENDED, context, now, **data) for r in open_targets]
    outcomes = []
    for sub_type, channel in targets:
        if any(r.type == sub_type and r.channel == channel for r in open_targets):
            outcomes.append(
                UnsubscribeOutcome(sub_type, channel, UnsubscribeStatus.NEWLY_UNSUBSCRIBED)
            )
            continue
        matching = [r for r in records if r.type == sub_type and r.channel == channel]
        events.append(
            new_event(
                company.id,
                EventType.UNSUBSCRIBE_REPEATED,
                context,
                person_id=matching[-1].person_id if matching else None,
                channel=channel.value,
                contact_value=contacts.for_channel(channel),
                data={"type": sub_type.value, **data},
            )
        )
        outcomes.append(
            UnsubscribeOutcome(sub_type, channel, UnsubscribeStatus.PREVIOUSLY_UNSUBSCRIBED)
        )
    if not targets:
        events.extend(
            new_event(
                company.id,
                EventType.UNSUBSCRIBE_REPEATED,
                context,
                channel=channel.value,
                contact_value=contacts.for_channel(channel),
                data=data,
            )
            for channel in contacts.channels
        )
    notice = None
    text_touched = any(
        outcome.channel == Channel.TEXT
        and (command.notify_repeats or outcome.status == UnsubscribeStatus.NEWLY_UNSUBSCRIBED)
        for outcome in outcomes
    )
    if command.notify and contacts.phone and (text_touched or command.always_notify):
        notice = text_notice(
            company,
            contacts.phone,
            MessageKind.OPT_OUT_CONFIRMATION,
            context,
            records,
            locale=command.notification_locale,
        )
    ended_ids = [r.id for r in open_targets]
    written = await end_with_events_and_notice(
        connection, ended_ids, command.reason.value, now, events, notice
    )
    if not written:
        # A concurrent request changed one of these records first: decide again.
        raise LostRace("a record to end was ended by a concurrent request")
    return UnsubscribeResult(outcomes, ended_ids)
