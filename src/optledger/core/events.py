"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from optledger.core.context import RequestContext
from optledger.storage.clock import utcnow
from optledger.storage.repositories.events import NewEvent, insert_events
from optledger.storage.repositories.records import RecordRow
from optledger.storage.sql import Connection


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
    # An operator sent a PENDING record's prompt again; the record stays as it was.
    CONFIRMATION_RESENT = "confirmation_resent"
    UNSUBSCRIBE_REPEATED = "unsubscribe_repeated"
    MESSAGE_QUEUED = "message_queued"
    MESSAGE_SENT = "message_sent"
    MESSAGE_DEAD = "message_dead"
    INBOUND_RECEIVED = "inbound_received"
    ATTRIBUTES_SET = "attributes_set"
    PERSON_ADDED = "person_added"
    # A test event a company asked to be sent to one of its callbacks.
    CALLBACK_TEST = "callback_test"


class ConsentTopic(StrEnum):
    """The consent changes webhooks listen for, whatever door they came through."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    ATTRIBUTES_SET = "attributes_set"
    PERSON_ADDED = "person_added"


def topic_of(event_type: EventType, data: dict[str, Any]) -> ConsentTopic | None:
    """The consent change an event is, if any: a subscription becomes active when it
    is created active or confirmed (a prompt awaiting its answer is not yet one)."""
    if event_type == EventType.SUBSCRIPTION_CREATED:
        return ConsentTopic.SUBSCRIBED if data.get("status") == "ACTIVE" else None
    return _TOPICS.get(event_type)


_TOPICS = {
    EventType.SUBSCRIPTION_CONFIRMED: ConsentTopic.SUBSCRIBED,
    EventType.SUBSCRIPTION_ENDED: ConsentTopic.UNSUBSCRIBED,
    EventType.ATTRIBUTES_SET: ConsentTopic.ATTRIBUTES_SET,
    EventType.PERSON_ADDED: ConsentTopic.PERSON_ADDED,
}


def new_event(
    company_id: int,
    event_type: EventType,
    context: RequestContext,
    *,
    person_id: int | None = None,
    record_id: int | None = None,
    channel: str | None = None,
    contact_value: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> NewEvent:
    """An event with the request's evidence, not yet written.

    `at` is the time of the change it records, when there is one: a record's opt-in
    or opt-out date and its event's time are then the same, which replaying the
    events to check the records relies on (`core.ledger.replay`)."""
    topic = topic_of(event_type, data or {})
    return NewEvent(
        company_id=company_id,
        type=event_type.value,
        created_at=utcnow() if at is None else at,
        person_id=person_id,
        record_id=record_id,
        channel=channel,
        contact_value=contact_value,
        data={"source": context.source, **(data or {})},
        credential_id=context.credential_id,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
        topic=topic.value if topic is not None else None,
    )


def event_on(
    record: RecordRow,
    event_type: EventType,
    context: RequestContext,
    at: datetime | None = None,
    **data: Any,
) -> NewEvent:
    """An event about one subscription record: its person, channel and contact point,
    at the time of the change (`at`) when it records one."""
    return new_event(
        record.company_id,
        event_type,
        context,
        person_id=record.person_id,
        record_id=record.id,
        channel=record.channel,
        contact_value=record.contact_value,
        data={"type": record.type, **data},
        at=at,
    )


async def record_event(
    connection: Connection,
    company_id: int,
    event_type: EventType,
    context: RequestContext,
    **fields: Any,
) -> None:
    """Append one event in the current unit of work."""
    await insert_events(connection, [new_event(company_id, event_type, context, **fields)])


async def record_events(connection: Connection, events: list[NewEvent]) -> None:
    """Append several events in the current unit of work, in order."""
    await insert_events(connection, events)
