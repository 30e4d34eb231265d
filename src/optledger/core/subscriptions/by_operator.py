"""What an operator does to one subscriber's record: end it, or send its prompt again.

Both go through the flows every door uses: an opt-out is the one opt-out flow
(`core.subscriptions.unsubscribe`), a prompt is the one a subscribe queues
(`queue_prompt`). Their events name the console as their source and the operator who
acted, so the ledger (whose leaves hold an event's data) keeps who did it and why.
"""

from __future__ import annotations

from datetime import timedelta

from optledger.core.audit import Actor
from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, OptOutReason, RecordStatus, SubscriptionType, is_open
from optledger.core.contact_points import ContactPoints
from optledger.core.context import RequestContext
from optledger.core.errors import Conflict, InvalidInput, NotFound, RateLimited
from optledger.core.events import EventType, event_on, record_events
from optledger.core.subscriptions.confirmations import queue_prompt
from optledger.core.subscriptions.unsubscribe import UnsubscribeCommand, unsubscribe
from optledger.core.text import single_line
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.events import last_of_record
from optledger.storage.repositories.records import RecordRow, person_and_records_by_key
from optledger.storage.sql import Connection

OPERATOR_SOURCE = "console"
MAX_REASON = 500
# Resending more often than this would only pester the person.
RESEND_INTERVAL = timedelta(minutes=1)


def operator_context(actor: Actor) -> RequestContext:
    """The evidence of an operator's change: the console, from the operator's address."""
    return RequestContext(source=OPERATOR_SOURCE, client_ip=actor.client_ip)


def checked_reason(raw: str) -> str:
    """Why an operator ends a record: required, trimmed, 1 to `MAX_REASON` characters on
    one line."""
    reason = single_line(raw.strip(), "the reason")
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidInput(f"say why, in 1 to {MAX_REASON} characters")
    return reason


async def record_of_person(
    connection: Connection, company_id: int, person_key: str, record_id: int
) -> RecordRow:
    """One record of the company's person `person_key`, or `NotFound`."""
    _, records = await person_and_records_by_key(connection, company_id, person_key)
    found = next((record for record in records if record.id == record_id), None)
    if found is None:
        raise NotFound(f"this subscriber has no record #{record_id}")
    return found


async def end_record(
    connection: Connection,
    company: CompanyRow,
    record: RecordRow,
    reason: str,
    actor: Actor,
    *,
    notify: bool,
) -> None:
    """Opt the record's contact point out of its (type, channel), as any door's opt-out
    does (`platform_opt_out`); its events carry the operator and `reason`."""
    if not is_open(RecordStatus(record.status)):
        raise Conflict(f"record #{record.id} is {record.status} already: nothing to end")
    channel = Channel(record.channel)
    command = UnsubscribeCommand(
        contacts=ContactPoints(
            phone=record.contact_value if channel == Channel.TEXT else None,
            email=record.contact_value if channel == Channel.EMAIL else None,
        ),
        subscriptions=[(SubscriptionType(record.type), channel)],
        notify=notify,
        reason=OptOutReason.PLATFORM_OPT_OUT,
        event_data={"operator": actor.name, "note": reason},
    )
    await unsubscribe(connection, company, command, operator_context(actor))


async def resend_prompt(
    connection: Connection,
    company: CompanyRow,
    record: RecordRow,
    actor: Actor,
    time_to_live: timedelta,
) -> None:
    """Queue a PENDING record's prompt again, while its confirmation window is open and
    no more than once per `RESEND_INTERVAL`; the resend is an event of the record."""
    if record.status != RecordStatus.PENDING:
        raise Conflict(
            f"record #{record.id} is {record.status}: only a PENDING record awaits confirmation"
        )
    now = utcnow()
    if now - record.created_at > time_to_live:
        hours = f"{time_to_live.total_seconds() / 3600:g}"
        raise Conflict(
            f"record #{record.id}'s confirmation window of {hours} hours has passed: "
            "it expires unconfirmed, and the person can subscribe again"
        )
    last = await last_of_record(
        connection, company.id, record.id, EventType.CONFIRMATION_RESENT.value
    )
    if last is not None and now - last < RESEND_INTERVAL:
        wait = (last + RESEND_INTERVAL - now).total_seconds()
        raise RateLimited(
            f"record #{record.id}'s prompt was sent again moments ago: wait a minute",
            retry_after=wait,
        )
    catalog = await load_catalog(connection, company.id)
    unit = catalog.unit(record.unit_id) if record.unit_id is not None else None
    if unit is None:
        raise Conflict(f"record #{record.id} has no sign-up unit to prompt with")
    context = operator_context(actor)
    await queue_prompt(
        connection,
        company,
        unit,
        Channel(record.channel),
        record.contact_value,
        record.person_id,
        record.id,
        context,
    )
    await record_events(
        connection,
        [event_on(record, EventType.CONFIRMATION_RESENT, context, now, operator=actor.name)],
    )
