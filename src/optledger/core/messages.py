"""Queueing messages to people in the outbox, inside the current unit of work."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.core.templates import MessageKind, pick_locale, render
from optledger.storage.tables import Company, Message, SignUpUnit


def queue_message(
    session: AsyncSession,
    company: Company,
    context: RequestContext,
    *,
    channel: Channel,
    to: str,
    kind: MessageKind,
    locale: str | None,
    person_id: int | None = None,
    unit: SignUpUnit | None = None,
) -> Message:
    """Render and queue one message; it is sent only if this transaction commits."""
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
    )
    message = Message(
        company_id=company.id,
        person_id=person_id,
        channel=channel.value,
        to_address=to,
        kind=kind.value,
        body=body,
        locale=chosen,
        idempotency_key=uuid.uuid4().hex,
    )
    session.add(message)
    record_event(
        session,
        company.id,
        EventType.MESSAGE_QUEUED,
        context,
        person_id=person_id,
        channel=channel.value,
        contact_value=to,
        data={"kind": kind.value, "locale": chosen},
    )
    return message
