"""The append-only audit trail."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.context import RequestContext
from optledger.storage.tables import Event, SubscriptionRecord


class EventType(StrEnum):
    """Everything that is recorded about consent."""

    SUBSCRIPTION_CREATED = "subscription_created"
    SUBSCRIPTION_REPEATED = "subscription_repeated"
    # An explicit consent for a contact point that a privacy erasure suppressed.
    CONSENT_AFTER_ERASURE = "consent_after_erasure"
    PRIVACY_ERASURE = "privacy_erasure"
    SUBSCRIPTION_CONFIRMED = "subscription_confirmed"
    SUBSCRIPTION_DECLINED = "subscription_declined"
    SUBSCRIPTION_EXPIRED = "subscription_expired"
    SUBSCRIPTION_ENDED = "subscription_ended"
    UNSUBSCRIBE_REPEATED = "unsubscribe_repeated"
    MESSAGE_QUEUED = "message_queued"
    MESSAGE_SENT = "message_sent"
    MESSAGE_DEAD = "message_dead"
    INBOUND_RECEIVED = "inbound_received"


def record_event(
    session: AsyncSession,
    company_id: int,
    event_type: EventType,
    context: RequestContext,
    *,
    person_id: int | None = None,
    record_id: int | None = None,
    channel: str | None = None,
    contact_value: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Add one event to the current unit of work."""
    event = Event(
        company_id=company_id,
        type=event_type.value,
        person_id=person_id,
        record_id=record_id,
        channel=channel,
        contact_value=contact_value,
        data={"source": context.source, **(data or {})},
        credential_id=context.credential_id,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
    )
    session.add(event)
    return event


def record_event_on(
    session: AsyncSession,
    record: SubscriptionRecord,
    event_type: EventType,
    context: RequestContext,
    **data: Any,
) -> Event:
    """An event about one subscription record: its person, channel and contact point."""
    return record_event(
        session,
        record.company_id,
        event_type,
        context,
        person_id=record.person_id,
        record_id=record.id,
        channel=record.channel,
        contact_value=record.contact_value,
        data={"type": record.type, **data},
    )
