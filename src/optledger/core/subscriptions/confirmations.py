"""Double opt-in: answering the "Reply Y" prompt, blocks after a NO, and expiry."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from optledger.core.catalog import Catalog
from optledger.core.consent import Channel, ConsentAction, RecordStatus, next_status
from optledger.core.consent_links import link_signer
from optledger.core.context import RequestContext
from optledger.core.events import EventType, event_on, record_events
from optledger.core.message_kinds import MessageKind
from optledger.core.messages import queue_message
from optledger.storage.clock import utcnow
from optledger.storage.repositories import records as stored
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.records import RecordRow
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection


async def queue_prompt(
    connection: Connection,
    company: CompanyRow,
    unit: UnitRow,
    channel: Channel,
    contact: str,
    person_id: int,
    record_id: int,
    context: RequestContext,
) -> None:
    """Queue the prompt a PENDING record waits on: the unit's "Reply Y" text, or an
    email carrying the signed link that confirms that record (`core.consent_links`)."""
    confirm_url = None
    if channel == Channel.EMAIL:
        signer = await link_signer(connection)
        confirm_url = signer.confirm_url(company.id, record_id)
    await queue_message(
        connection,
        company,
        context,
        channel=channel,
        to=contact,
        kind=MessageKind.CONFIRMATION_PROMPT,
        locale=unit.locale,
        person_id=person_id,
        unit=unit,
        confirm_url=confirm_url,
    )


_EVENT_BY_ACTION = {
    ConsentAction.CONFIRM: EventType.SUBSCRIPTION_CONFIRMED,
    ConsentAction.DECLINE: EventType.SUBSCRIPTION_DECLINED,
    ConsentAction.EXPIRE: EventType.SUBSCRIPTION_EXPIRED,
}


async def _answer(
    connection: Connection,
    records: Sequence[RecordRow],
    action: ConsentAction,
    context: RequestContext,
) -> list[RecordRow]:
    """Move PENDING records on; returns those still PENDING until now (not a racing answer)."""
    status = next_status(RecordStatus.PENDING, action)
    now = utcnow()
    moved = set(await stored.answer_pending(connection, [r.id for r in records], status.value, now))
    answered = [
        dataclasses.replace(
            record,
            status=status.value,
            opt_in_date=now if action == ConsentAction.CONFIRM else record.opt_in_date,
        )
        for record in records
        if record.id in moved
    ]
    await record_events(
        connection,
        [
            event_on(record, _EVENT_BY_ACTION[action], context, now, unit_id=record.unit_id)
            for record in answered
        ],
    )
    return answered


async def confirm_pending(
    connection: Connection,
    catalog: Catalog,
    records: Sequence[RecordRow],
    context: RequestContext,
) -> list[RecordRow]:
    """The number replied Y: each record becomes ACTIVE and its welcome message is sent."""
    confirmed = await _answer(connection, records, ConsentAction.CONFIRM, context)
    for record in confirmed:
        await queue_message(
            connection,
            catalog.company,
            context,
            channel=Channel(record.channel),
            to=record.contact_value,
            kind=MessageKind.WELCOME,
            locale=record.locale,
            person_id=record.person_id,
            unit=catalog.unit(record.unit_id) if record.unit_id else None,
        )
    return confirmed


async def decline_pending(
    connection: Connection, records: Sequence[RecordRow], context: RequestContext
) -> list[RecordRow]:
    """The number replied N: each record is DECLINED and its unit may not prompt again."""
    declined = await _answer(connection, records, ConsentAction.DECLINE, context)
    now = utcnow()
    for record in declined:
        if record.unit_id is not None:
            await stored.insert_block(
                connection, record.company_id, record.unit_id, record.contact_value, now
            )
    return declined


async def expire_pending(connection: Connection, older_than: datetime, *, limit: int = 500) -> int:
    """Expire prompts left unanswered since before `older_than`, in every company."""
    records = await stored.pending_older_than(connection, older_than, limit)
    await _answer(connection, records, ConsentAction.EXPIRE, RequestContext(source="expiry"))
    return len(records)
