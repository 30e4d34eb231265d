"""Registering webhooks (Attentive style) and callbacks (Vibes style).

Both styles are one registration: a URL, the consent changes it listens for in
the style's own names, a signing key, and for callbacks a method, content type,
list filter and time window. Every door's consent change fans out to them in
its own transaction (`storage.repositories.events`).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel
from optledger.core.context import RequestContext
from optledger.core.errors import InvalidInput, NotFound
from optledger.core.events import ConsentTopic, EventType, new_event
from optledger.core.webhooks.destinations import DestinationRules, check_destination
from optledger.settings import Settings
from optledger.storage.clock import utcnow
from optledger.storage.repositories import webhooks as stored
from optledger.storage.repositories.events import insert_event_returning_id
from optledger.storage.repositories.webhook_deliveries import (
    LoggedDelivery,
    deliveries_of,
    insert_delivery,
    redeliver,
)
from optledger.storage.repositories.webhooks import Topic, WebhookRow
from optledger.storage.sql import Connection


class WebhookStyle(StrEnum):
    """The payload shape and the API a registration was made through."""

    ATTENTIVE = "attentive"
    VIBES = "vibes"


def _topic(topic: ConsentTopic, name: str, channel: Channel | None) -> Topic:
    return Topic(topic=topic.value, name=name, channel=channel.value if channel else None)


EVENT_NAMES: dict[WebhookStyle, dict[str, Topic]] = {
    WebhookStyle.ATTENTIVE: {
        "sms.subscribed": _topic(ConsentTopic.SUBSCRIBED, "sms.subscribed", Channel.TEXT),
        "sms.unsubscribed": _topic(ConsentTopic.UNSUBSCRIBED, "sms.unsubscribed", Channel.TEXT),
        "email.subscribed": _topic(ConsentTopic.SUBSCRIBED, "email.subscribed", Channel.EMAIL),
        "email.unsubscribed": _topic(
            ConsentTopic.UNSUBSCRIBED, "email.unsubscribed", Channel.EMAIL
        ),
        "custom_attribute.set": _topic(ConsentTopic.ATTRIBUTES_SET, "custom_attribute.set", None),
    },
    WebhookStyle.VIBES: {
        "subscription_added": _topic(ConsentTopic.SUBSCRIBED, "subscription_added", None),
        "subscription_removed": _topic(ConsentTopic.UNSUBSCRIBED, "subscription_removed", None),
        "person_added": _topic(ConsentTopic.PERSON_ADDED, "person_added", None),
        "person_updated": _topic(ConsentTopic.ATTRIBUTES_SET, "person_updated", None),
    },
}
METHODS = ("POST", "PUT")
# The stored column's width.
MAX_URL_LENGTH = 2048
# The callback types a list filter applies to: the others are about a person, not a list.
LIST_FILTERED = ("subscription_added", "subscription_removed")
# What becomes of a delivery: waiting for an attempt, or finished one of three ways.
DELIVERY_STATUSES = ("pending", "delivered", "dead", "skipped")


@dataclass(frozen=True)
class WebhookSpec:
    """A registration as a caller asks for it."""

    url: str
    events: Sequence[str]
    disabled: bool = False
    method: str = "POST"
    content_type: str = "application/json"
    list_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def topics_of(style: WebhookStyle, events: Sequence[str]) -> list[Topic]:
    """The topics behind event names; an unknown name (they are case sensitive) is 400."""
    known = EVENT_NAMES[style]
    if not events:
        raise InvalidInput("events must name at least one event")
    unknown = [name for name in events if name not in known]
    if unknown:
        raise InvalidInput(
            f"unknown event {unknown[0]!r}; known events: {', '.join(sorted(known))}"
        )
    return [known[name] for name in dict.fromkeys(events)]


def webhook_secret(signing_key: str) -> str:
    """The key as Standard Webhooks libraries take it: `whsec_` + base64 of its bytes."""
    return "whsec_" + base64.b64encode(signing_key.encode()).decode()


async def checked_spec(spec: WebhookSpec, style: WebhookStyle, settings: Settings) -> None:
    """Refuse a registration before any transaction: events, method, window, and a URL
    that must not lead into the operator's network (this resolves its host)."""
    topics_of(style, spec.events)
    if len(spec.url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url has at most {MAX_URL_LENGTH} characters")
    if spec.method not in METHODS:
        raise InvalidInput("destination method must be POST or PUT")
    if spec.starts_at and spec.ends_at and spec.ends_at <= spec.starts_at:
        raise InvalidInput("end_date must be after start_date")
    if spec.list_id is not None and any(name not in LIST_FILTERED for name in spec.events):
        raise InvalidInput(f"only {' and '.join(LIST_FILTERED)} callbacks take a list filter")
    await check_destination(spec.url, DestinationRules.from_settings(settings))


async def _check_list_filter(connection: Connection, company_id: int, spec: WebhookSpec) -> None:
    """A registration limited to a list must name one of the company's lists."""
    if spec.list_id is None:
        return
    catalog = await load_catalog(connection, company_id)
    if all(found.id != spec.list_id for found in catalog.lists):
        raise InvalidInput(f"subscription list {spec.list_id} does not exist")


async def register_webhook(
    connection: Connection, company_id: int, style: WebhookStyle, spec: WebhookSpec
) -> WebhookRow:
    """Store a registration (already `checked_spec`) with a new signing key."""
    await _check_list_filter(connection, company_id, spec)
    now = utcnow()
    webhook_id = await stored.insert_webhook(
        connection,
        company_id=company_id,
        style=style.value,
        spec=_stored_spec(spec),
        topics=topics_of(style, spec.events),
        signing_key=secrets.token_urlsafe(32),
        disabled_at=now if spec.disabled else None,
        now=now,
    )
    return await get_webhook(connection, company_id, style, webhook_id)


def _stored_spec(spec: WebhookSpec) -> stored.StoredSpec:
    return stored.StoredSpec(
        url=spec.url,
        events=list(dict.fromkeys(spec.events)),
        method=spec.method,
        content_type=spec.content_type,
        list_id=spec.list_id,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
    )


async def get_webhook(
    connection: Connection, company_id: int, style: WebhookStyle, webhook_id: int
) -> WebhookRow:
    """One registration of the company, or `NotFound` (another company's is not found)."""
    found = await stored.webhook_of(connection, company_id, webhook_id, style.value)
    if found is None:
        raise NotFound("webhook not found")
    return found


async def list_webhooks(
    connection: Connection, company_id: int, style: WebhookStyle
) -> list[WebhookRow]:
    """The company's registrations of a style, oldest first."""
    return await stored.webhooks_of(connection, company_id, style.value)


async def update_webhook(
    connection: Connection,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    spec: WebhookSpec,
) -> WebhookRow:
    """Replace a registration's settings (already `checked_spec`); the key stays.

    Enabling it again resets its circuit breaker: the caller says the receiver is back.
    """
    current = await get_webhook(connection, company_id, style, webhook_id)
    await _check_list_filter(connection, company_id, spec)
    now = utcnow()
    if spec.disabled:
        disabled_at = current.disabled_at or now
        reason = current.disabled_reason or "disabled by the company"
    else:
        disabled_at, reason = None, None
    await stored.update_webhook(
        connection,
        webhook_id,
        spec=_stored_spec(spec),
        topics=topics_of(style, spec.events),
        company_id=company_id,
        disabled_at=disabled_at,
        disabled_reason=reason,
        now=now,
    )
    return await get_webhook(connection, company_id, style, webhook_id)


def spec_of(found: WebhookRow) -> WebhookSpec:
    """A stored registration as a spec, for partial updates to start from."""
    return WebhookSpec(
        url=found.url,
        events=found.events,
        disabled=found.disabled_at is not None,
        method=found.method,
        content_type=found.content_type,
        list_id=found.list_id,
        starts_at=found.starts_at,
        ends_at=found.ends_at,
    )


async def remove_webhook(
    connection: Connection, company_id: int, style: WebhookStyle, webhook_id: int
) -> None:
    """Delete a registration with its delivery log; `NotFound` if it is not the company's."""
    await get_webhook(connection, company_id, style, webhook_id)
    await stored.delete_webhook(connection, company_id, webhook_id)


async def send_test_event(
    connection: Connection,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    context: RequestContext,
) -> int:
    """Queue a test event for one registration, delivered like any other (signed,
    retried, logged), even when the registration is outside its window; returns the
    event's id."""
    found = await get_webhook(connection, company_id, style, webhook_id)
    event = new_event(company_id, EventType.CALLBACK_TEST, context, data={"webhook_id": webhook_id})
    event_id = await insert_event_returning_id(connection, event)
    await insert_delivery(
        connection,
        company_id=company_id,
        webhook_id=found.id,
        event_id=event_id,
        name=found.events[0] if found.events else "test",
        now=event.created_at,
    )
    return event_id


async def delivery_log(
    connection: Connection,
    company_id: int,
    style: WebhookStyle,
    webhook_id: int,
    limit: int,
    before: int | None = None,
    status: str | None = None,
) -> list[LoggedDelivery]:
    """A registration's deliveries, newest first, of one status (`DELIVERY_STATUSES`) or
    all; `NotFound` if it is not the company's."""
    await get_webhook(connection, company_id, style, webhook_id)
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidInput(f"a delivery's status is one of {', '.join(DELIVERY_STATUSES)}")
    return await deliveries_of(connection, webhook_id, limit, before, status)


async def redeliver_to(
    connection: Connection, company_id: int, style: WebhookStyle, webhook_id: int, event_id: int
) -> list[tuple[int, int]]:
    """Queue an event's finished delivery to one of the company's registrations again;
    the company and registration of what was queued (nothing while it is still pending,
    or for an unknown event)."""
    await get_webhook(connection, company_id, style, webhook_id)
    return await redeliver(connection, event_id, webhook_id, utcnow())
