"""Messages to people: rendered and queued in the outbox inside the current unit of work."""

from __future__ import annotations

import uuid

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.events import EventType, new_event
from optledger.core.message_kinds import MessageKind
from optledger.core.templates import pick_locale, render
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.outbox import NewMessage, QueuedMessage
from optledger.storage.repositories.outbox import queue_message as insert_queued_message
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection


async def queue_message(
    connection: Connection,
    company: CompanyRow,
    context: RequestContext,
    *,
    channel: Channel,
    to: str,
    kind: MessageKind,
    locale: str | None,
    person_id: int | None = None,
    unit: UnitRow | None = None,
    confirm_url: str | None = None,
) -> int:
    """Render and queue one message; it is sent only if this transaction commits."""
    message = render_message(
        company,
        context,
        channel=channel,
        to=to,
        kind=kind,
        locale=locale,
        person_id=person_id,
        unit=unit,
        confirm_url=confirm_url,
    )
    return await insert_queued_message(connection, message)


def render_message(
    company: CompanyRow,
    context: RequestContext,
    *,
    channel: Channel,
    to: str,
    kind: MessageKind,
    locale: str | None,
    person_id: int | None = None,
    unit: UnitRow | None = None,
    confirm_url: str | None = None,
) -> QueuedMessage:
    """Render one message and its `message_queued` event, ready to queue.

    `confirm_url` is an email prompt's confirmation link (see `core.consent_links`).

    The idempotency key is fixed here, so every delivery attempt, by any worker,
    presents the same key to the provider.
    """
    chosen = pick_locale(locale, company.settings)
    unit_text = None
    if unit is not None:
        unit_text = {
            MessageKind.CONFIRMATION_PROMPT: unit.confirmation_prompt,
            MessageKind.WELCOME: unit.welcome_text,
        }.get(kind)
    body = render(
        kind,
        chosen,
        company_name=company.name,
        company_settings=company.settings,
        disclosure=unit.legal_disclosure if unit is not None else None,
        unit_text=unit_text,
        channel=channel,
        confirm_url=confirm_url,
    )
    idempotency_key = uuid.uuid4().hex
    queued = new_event(
        company.id,
        EventType.MESSAGE_QUEUED,
        context,
        person_id=person_id,
        channel=channel.value,
        contact_value=to,
        data={"kind": kind.value, "locale": chosen, "idempotency_key": idempotency_key},
    )
    message = NewMessage(
        company_id=company.id,
        person_id=person_id,
        channel=channel.value,
        to_address=to,
        kind=kind.value,
        body=body,
        locale=chosen,
        idempotency_key=idempotency_key,
        created_at=utcnow(),
    )
    return QueuedMessage(message, queued)
