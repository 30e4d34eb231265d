"""The subscribe flow: resolve the unit, find the person, open a record per channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.companies import default_list
from optledger.core.consent import Channel, CreationStatus, RecordStatus, SubscriptionType
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput
from optledger.core.events import EventType, record_event_on
from optledger.core.messages import queue_message
from optledger.core.people import Identifier, resolve_person
from optledger.core.privacy.suppression import check_suppression
from optledger.core.sign_up_units import API_METHOD, Locale, resolve_sign_up_unit
from optledger.core.subscriptions.confirmations import check_confirmation_block
from optledger.core.subscriptions.contacts import ContactPoints
from optledger.core.subscriptions.records import open_record
from optledger.core.templates import MessageKind
from optledger.storage.tables import Company, Person, SignUpUnit, SubscriptionRecord
from optledger.storage.types import utcnow


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
    # KEYWORD when the number texted a unit's keyword.
    method: str = API_METHOD
    # The person asked from their own handset: a confirmation block is lifted.
    initiated_by_contact: bool = False
    # Already resolved from these identifiers by the caller (the user upsert flow).
    person: Person | None = None


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

    person: Person
    unit: SignUpUnit
    outcomes: list[SubscribeOutcome] = field(default_factory=list)


def initial_status(unit: SignUpUnit, channel: Channel, single_opt_in: bool) -> RecordStatus:
    """Where a new record starts: PENDING where the unit asks for double opt-in.

    TEXT follows `double_opt_in` (on by default), EMAIL `email_double_opt_in` (off by
    default); a single opt-in request (checked against the unit before) skips both.
    """
    double = unit.double_opt_in if channel == Channel.TEXT else unit.email_double_opt_in
    return RecordStatus.PENDING if double and not single_opt_in else RecordStatus.ACTIVE


def _channels_to_open(command: SubscribeCommand, unit: SignUpUnit) -> list[Channel]:
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


async def subscribe(
    session: AsyncSession, company: Company, command: SubscribeCommand, context: RequestContext
) -> SubscribeResult:
    """Ask for consent on each channel; repeats are recorded, never duplicated."""
    unit = await resolve_sign_up_unit(
        session,
        company.id,
        unit_id=command.unit_id,
        locale=command.locale,
        subscription_type=command.subscription_type,
        method=command.method,
    )
    if command.single_opt_in and not unit.allow_single_opt_in:
        raise InvalidInput(f"sign-up source {unit.id} does not allow single opt-in")
    channels = _channels_to_open(command, unit)
    await check_suppression(
        session, company.id, unit, command.contacts, channels, command.single_opt_in, context
    )
    person = command.person or await resolve_person(
        session, company.id, [*command.contacts.identifiers, *command.external_identifiers]
    )
    result = SubscribeResult(person=person, unit=unit)
    for channel in channels:
        contact = command.contacts.for_channel(channel)
        assert contact is not None
        result.outcomes.append(
            await open_subscription(
                session,
                company,
                person,
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


async def open_subscription(
    session: AsyncSession,
    company: Company,
    person: Person,
    unit: SignUpUnit,
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
    """
    sub_type = SubscriptionType(unit.subscription_type)
    target = await default_list(session, company.id, sub_type, channel)
    locale = f"{unit.language}-{unit.country}"
    existing = await open_record(session, company.id, target.id, contact)
    if existing is not None:
        record_event_on(
            session, existing, EventType.SUBSCRIPTION_REPEATED, context, unit_id=unit.id
        )
        if channel == Channel.TEXT:
            # A prompt still waiting is sent again: "already subscribed" would mislead.
            pending = existing.status == RecordStatus.PENDING
            queue_message(
                session,
                company,
                context,
                channel=channel,
                to=contact,
                kind=MessageKind.CONFIRMATION_PROMPT if pending else MessageKind.ALREADY_SUBSCRIBED,
                locale=locale,
                person_id=person.id,
                unit=unit,
            )
        return SubscribeOutcome(sub_type, channel, CreationStatus.PREVIOUSLY_CREATED, existing.id)

    if channel == Channel.TEXT:
        await check_confirmation_block(
            session, unit, contact, initiated_by_contact=initiated_by_contact
        )
    now = utcnow()
    record = SubscriptionRecord(
        company_id=company.id,
        person_id=person.id,
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
        consented_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    # The partial unique index on open records turns a concurrent duplicate into an
    # IntegrityError here; the unit of work is replayed and finds this record.
    await session.flush()
    record_event_on(
        session,
        record,
        EventType.SUBSCRIPTION_CREATED,
        context,
        unit_id=unit.id,
        status=status.value,
    )
    kind = None
    if status == RecordStatus.PENDING:
        kind = MessageKind.CONFIRMATION_PROMPT
    elif not single_opt_in or unit.welcome_on_single_opt_in:
        kind = MessageKind.WELCOME
    if kind is not None:
        queue_message(
            session,
            company,
            context,
            channel=channel,
            to=contact,
            kind=kind,
            locale=locale,
            person_id=person.id,
            unit=unit,
        )
    return SubscribeOutcome(sub_type, channel, CreationStatus.NEWLY_CREATED, record.id)
