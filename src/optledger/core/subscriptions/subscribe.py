"""The subscribe flow: resolve the unit, find the person, open a record per channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from optledger.core.catalog import (
    Catalog,
    StaleCatalog,
    cached_catalog,
    catalog_is_current,
    load_catalog,
)
from optledger.core.consent import Channel, CreationStatus, RecordStatus, SubscriptionType
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import ConfirmationBlocked, InvalidInput, SignUpUnitNotResolved
from optledger.core.events import EventType, event_on, new_event, record_events
from optledger.core.ledger.disclosures import with_disclosure
from optledger.core.message_kinds import MessageKind
from optledger.core.messages import queue_message, render_message
from optledger.core.people import Identifier, resolve_person
from optledger.core.privacy.suppression import check_suppression
from optledger.core.sign_up_units import Locale, resolve_sign_up_unit
from optledger.core.subscriptions.confirmations import queue_prompt
from optledger.core.unit_methods import API_METHOD
from optledger.storage.clock import utcnow
from optledger.storage.database import LostRace
from optledger.storage.repositories import records as stored
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.openings import open_record
from optledger.storage.repositories.people import PersonRow
from optledger.storage.repositories.records import NewRecord
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection


@dataclass(frozen=True)
class SubscribeCommand:
    """A request for consent: who, through which unit, on which channels."""

    contacts: ContactPoints
    unit_id: str | None = None
    locale: Locale | None = None
    subscription_type: SubscriptionType | None = None
    single_opt_in: bool = False
    external_identifiers: Sequence[Identifier] = ()
    # None: every channel of the unit that a contact point was given for.
    channels: Sequence[Channel] | None = None
    # KEYWORD when the number texted a unit's keyword; None: any unit named by id.
    method: str | None = API_METHOD
    # The person asked from their own handset: a confirmation block is lifted.
    initiated_by_contact: bool = False
    # Already resolved from these identifiers by the caller (the user upsert flow).
    person: PersonRow | None = None


@dataclass(frozen=True)
class SubscribeOutcome:
    """What happened on one (type, channel)."""

    type: SubscriptionType
    channel: Channel
    status: CreationStatus
    record_id: int


@dataclass(frozen=True)
class SubscribeResult:
    """The person and an outcome per channel."""

    person: PersonRow
    unit: UnitRow
    outcomes: list[SubscribeOutcome] = field(default_factory=list)


def initial_status(unit: UnitRow, channel: Channel, single_opt_in: bool) -> RecordStatus:
    """Where a new record starts: PENDING where the unit asks for double opt-in.

    TEXT follows `double_opt_in` (on by default), EMAIL `email_double_opt_in` (off by
    default); a single opt-in request (checked against the unit before) skips both.
    """
    double = unit.double_opt_in if channel == Channel.TEXT else unit.email_double_opt_in
    return RecordStatus.PENDING if double and not single_opt_in else RecordStatus.ACTIVE


def _channels_to_open(command: SubscribeCommand, unit: UnitRow) -> list[Channel]:
    unit_channels = [Channel(value) for value in unit.channels]
    if command.channels is not None:
        foreign = [c for c in command.channels if c not in unit_channels]
        if foreign:
            raise InvalidInput(
                f"sign-up source {unit.id} does not collect {', '.join(foreign)} consent"
            )
        unit_channels = [c for c in unit_channels if c in command.channels]
    channels = [c for c in unit_channels if command.contacts.for_channel(c)]
    if not channels:
        raise InvalidInput(
            f"sign-up source {unit.id} collects {' and '.join(unit.channels)} consent, "
            "and the user has no contact point for it"
        )
    return channels


def _resolve_unit(catalog: Catalog, command: SubscribeCommand) -> UnitRow:
    return resolve_sign_up_unit(
        catalog,
        unit_id=command.unit_id,
        locale=command.locale,
        subscription_type=command.subscription_type,
        method=command.method,
    )


async def subscribe(
    connection: Connection, company: CompanyRow, command: SubscribeCommand, context: RequestContext
) -> SubscribeResult:
    """Ask for consent on each channel; repeats are recorded, never duplicated."""
    catalog = await cached_catalog(connection, company.id)
    try:
        unit = _resolve_unit(catalog, command)
    except SignUpUnitNotResolved:
        # Perhaps a unit this process has not seen yet: decide on the current catalog.
        catalog = await load_catalog(connection, company.id)
        unit = _resolve_unit(catalog, command)
    if command.single_opt_in and not unit.allow_single_opt_in:
        raise InvalidInput(f"sign-up source {unit.id} does not allow single opt-in")
    channels = _channels_to_open(command, unit)
    unconfirmed = [
        channel
        for channel in channels
        if initial_status(unit, channel, command.single_opt_in) == RecordStatus.ACTIVE
    ]
    await check_suppression(
        connection, catalog, unit, command.contacts, channels, unconfirmed, context
    )
    person = command.person or await resolve_person(
        connection,
        catalog.company.id,
        [*command.contacts.identifiers, *command.external_identifiers],
    )
    result = SubscribeResult(person=person, unit=unit)
    for channel in channels:
        contact = command.contacts.for_channel(channel)
        assert contact is not None
        result.outcomes.append(
            await open_subscription(
                connection,
                catalog,
                person.id,
                unit,
                channel,
                contact,
                context,
                status=initial_status(unit, channel, command.single_opt_in),
                single_opt_in=command.single_opt_in,
                initiated_by_contact=command.initiated_by_contact,
            )
        )
    return result


def _promised_message(
    status: RecordStatus, single_opt_in: bool, unit: UnitRow
) -> MessageKind | None:
    """What a new record promises: the prompt when PENDING, else the welcome (legal) text."""
    if status == RecordStatus.PENDING:
        return MessageKind.CONFIRMATION_PROMPT
    if not single_opt_in or unit.welcome_on_single_opt_in:
        return MessageKind.WELCOME
    return None


async def open_subscription(
    connection: Connection,
    catalog: Catalog,
    person_id: int,
    unit: UnitRow,
    channel: Channel,
    contact: str,
    context: RequestContext,
    *,
    status: RecordStatus,
    single_opt_in: bool = False,
    initiated_by_contact: bool = False,
) -> SubscribeOutcome:
    """Open a record through `unit` starting at `status`, unless one is open already.

    Queues what the person is promised: the prompt for a PENDING record, the
    welcome (legal) message for an ACTIVE one, "already subscribed" on a TEXT repeat.
    The record, its event and its message are written in one statement where the
    database allows; a contact point already open on the list writes nothing there
    and is answered as a repeat. An email's prompt follows its record: it carries
    the signed link that confirms that record (`core.consent_links`).
    """
    company = catalog.company
    sub_type = SubscriptionType(unit.subscription_type)
    target = catalog.default_list(sub_type, channel)
    if target is None:
        raise LookupError(f"company {company.id} has no default {sub_type} {channel} list")
    if channel == Channel.TEXT and initiated_by_contact:
        # A number that asks again itself (a keyword, START) lifts its own block.
        await stored.delete_block(connection, company.id, unit.id, contact)
    now = utcnow()
    record = NewRecord(
        company_id=company.id,
        person_id=person_id,
        list_id=target.id,
        unit_id=unit.id,
        type=sub_type.value,
        channel=channel.value,
        contact_value=contact,
        status=status.value,
        single_opt_in=single_opt_in,
        opt_in_date=now if status == RecordStatus.ACTIVE else None,
        disclosure_text=unit.legal_disclosure,
        language=unit.language,
        country=unit.country,
        source=context.source,
        credential_id=context.credential_id,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
        now=now,
    )
    created = new_event(
        company.id,
        EventType.SUBSCRIPTION_CREATED,
        context,
        person_id=person_id,
        channel=channel.value,
        contact_value=contact,
        data=with_disclosure(
            {"type": sub_type.value, "unit_id": unit.id, "status": status.value},
            unit.legal_disclosure,
        ),
        at=now,
    )
    kind = _promised_message(status, single_opt_in, unit)
    # An email's prompt carries a link to its record: it is queued once the id is known.
    email_prompt = channel == Channel.EMAIL and kind == MessageKind.CONFIRMATION_PROMPT
    message = None
    if kind is not None and not email_prompt:
        message = render_message(
            company,
            context,
            channel=channel,
            to=contact,
            kind=kind,
            locale=unit.locale,
            person_id=person_id,
            unit=unit,
        )
    guard_block = channel == Channel.TEXT and not initiated_by_contact
    record_id = await open_record(
        connection,
        record,
        created,
        message,
        guard_block=guard_block,
        catalog_version=company.version,
    )
    if record_id is not None:
        if email_prompt:
            await queue_prompt(
                connection, company, unit, channel, contact, person_id, record_id, context
            )
        return SubscribeOutcome(sub_type, channel, CreationStatus.NEWLY_CREATED, record_id)
    return await _repeat_or_refuse(
        connection, catalog, person_id, unit, target.id, channel, contact, context, guard_block
    )


async def _repeat_or_refuse(
    connection: Connection,
    catalog: Catalog,
    person_id: int,
    unit: UnitRow,
    list_id: int,
    channel: Channel,
    contact: str,
    context: RequestContext,
    guard_block: bool,
) -> SubscribeOutcome:
    """Nothing was opened: the contact point is open on the list already, or blocked,
    or what was decided used a catalog that changed since."""
    if not await catalog_is_current(connection, catalog):
        raise StaleCatalog(f"company {catalog.company.id} changed its catalog")
    company = catalog.company
    existing = await stored.open_record_on_list(connection, company.id, list_id, contact)
    if existing is None:
        if guard_block and await stored.block_exists(connection, company.id, unit.id, contact):
            raise ConfirmationBlocked(
                f"{contact} answered NO to sign-up unit {unit.id}'s confirmation prompt"
            )
        # The open record this insert collided with has just ended: try again.
        raise LostRace(f"open record of {contact} on list {list_id} changed")
    await record_events(
        connection,
        [event_on(existing, EventType.SUBSCRIPTION_REPEATED, context, unit_id=unit.id)],
    )
    if channel == Channel.TEXT and existing.status == RecordStatus.PENDING:
        # A prompt still waiting is sent again: "already subscribed" would mislead.
        await queue_prompt(
            connection, company, unit, channel, contact, person_id, existing.id, context
        )
    elif channel == Channel.TEXT:
        await queue_message(
            connection,
            company,
            context,
            channel=channel,
            to=contact,
            kind=MessageKind.ALREADY_SUBSCRIBED,
            locale=unit.locale,
            person_id=person_id,
            unit=unit,
        )
    sub_type = SubscriptionType(unit.subscription_type)
    return SubscribeOutcome(sub_type, channel, CreationStatus.PREVIOUSLY_CREATED, existing.id)
