"""Messages to people: queued in the outbox inside the current unit of work, and read back."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel
from optledger.core.contact_points import normalize_e164_phone, normalize_email
from optledger.core.context import RequestContext
from optledger.core.events import EventType, record_event
from optledger.core.templates import MessageKind, pick_locale, render
from optledger.storage.outbox import mark_outbox_written
from optledger.storage.tables import Company, Message, SignUpUnit


class MessageStatus(StrEnum):
    """Where a message stands in the outbox."""

    QUEUED = "queued"
    SENT = "sent"
    # The last attempt failed, or the provider refused it for good.
    DEAD = "dead"


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
    """Render and queue one message; it is sent only if this transaction commits.

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
        status=MessageStatus.QUEUED.value,
    )
    session.add(message)
    mark_outbox_written(session)
    record_event(
        session,
        company.id,
        EventType.MESSAGE_QUEUED,
        context,
        person_id=person_id,
        channel=channel.value,
        contact_value=to,
        data={"kind": kind.value, "locale": chosen, "idempotency_key": message.idempotency_key},
    )
    return message


def normalize_address(raw: str) -> str:
    """A phone (starting with +) or email address as messages store it."""
    raw = raw.strip()
    return normalize_e164_phone(raw) if raw.startswith("+") else normalize_email(raw)


async def messages_to(
    session: AsyncSession, company_id: int | None, to: str, *, limit: int = 100
) -> list[tuple[Message, str]]:
    """What was queued for one phone or email, newest first, with the company key.

    `company_id` None reads across companies (the operator's command line).
    """
    query = (
        select(Message, Company.key)
        .join(Company, Company.id == Message.company_id)
        .where(Message.to_address == normalize_address(to))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    if company_id is not None:
        query = query.where(Message.company_id == company_id)
    return [(message, key) for message, key in await session.execute(query)]
