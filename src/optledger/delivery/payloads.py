"""The bodies of webhook deliveries, in the public shape of each style."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from optledger.core.events import EventType
from optledger.core.people import IdentifierKind
from optledger.storage.repositories.people import StoredIdentifier
from optledger.storage.repositories.webhook_deliveries import ClaimedDelivery

# Vibes' relative URLs (the dialect's prefix).
VIBES_PREFIX = "/companies"


def message_id(delivery: ClaimedDelivery) -> str:
    """The id receivers deduplicate by: the event's, the same on every retry."""
    return f"evt_{delivery.event_id}"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _first(identifiers: Sequence[StoredIdentifier], kind: IdentifierKind) -> str | None:
    return next((i.value for i in identifiers if i.kind == kind.value), None)


def attentive_payload(
    delivery: ClaimedDelivery, identifiers: Sequence[StoredIdentifier]
) -> dict[str, Any]:
    """`{type, timestamp, company, subscriber, subscription}` as Attentive sends it."""
    phone = _first(identifiers, IdentifierKind.PHONE)
    email = _first(identifiers, IdentifierKind.EMAIL)
    if delivery.channel == "TEXT" and delivery.contact_value:
        phone = delivery.contact_value
    elif delivery.channel == "EMAIL" and delivery.contact_value:
        email = delivery.contact_value
    external: dict[str, Any] = {}
    for kind, field in (
        (IdentifierKind.CLIENT_USER_ID, "clientUserId"),
        (IdentifierKind.SHOPIFY_ID, "shopifyId"),
        (IdentifierKind.KLAVIYO_ID, "klaviyoId"),
    ):
        if (value := _first(identifiers, kind)) is not None:
            external[field] = value
    custom = [
        {"name": i.name, "value": i.value}
        for i in identifiers
        if i.kind == IdentifierKind.CUSTOM.value
    ]
    if custom:
        external["customIdentifiers"] = custom
    payload: dict[str, Any] = {
        "type": delivery.name,
        "timestamp": int(delivery.event_at.timestamp() * 1000),
        "company": {"display_name": delivery.company_name, "company_id": delivery.company_key},
        "subscriber": {"phone": phone, "email": email, "external_identifiers": external},
    }
    if delivery.event_type == EventType.CALLBACK_TEST:
        payload["test"] = True
    elif delivery.event_type == EventType.ATTRIBUTES_SET:
        payload["custom_attributes"] = delivery.event_data.get("attributes", {})
    else:
        payload["subscription"] = {
            "type": delivery.subscription_type or delivery.event_data.get("type"),
            "channel": delivery.channel,
        }
    return payload


def vibes_payload(
    delivery: ClaimedDelivery, identifiers: Sequence[StoredIdentifier]
) -> dict[str, Any]:
    """`{event_id, callback_type, event_date, subscription | person}` as Vibes sends it."""
    base = f"{VIBES_PREFIX}/{delivery.company_key}"
    payload: dict[str, Any] = {
        "event_id": message_id(delivery),
        "callback_type": delivery.name,
        "event_date": _iso(delivery.event_at),
    }
    if delivery.event_type == EventType.CALLBACK_TEST:
        payload["test"] = True
        return payload
    mdn = _first(identifiers, IdentifierKind.PHONE)
    if delivery.channel == "TEXT" and delivery.contact_value:
        mdn = delivery.contact_value
    person = {
        "id": delivery.person_key,
        "person_key": delivery.person_key,
        "external_person_id": _first(identifiers, IdentifierKind.CLIENT_USER_ID),
        "url": f"{base}/mobiledb/persons/{delivery.person_key}",
        "mobile_phone": {"mdn": mdn},
    }
    if delivery.list_id is None:
        payload["person"] = person
        return payload
    subscription: dict[str, Any] = {
        "person": person,
        "subscription_list": {
            "id": str(delivery.list_id),
            "url": f"{base}/mobiledb/subscription_lists/{delivery.list_id}",
        },
        "opt_in_date": _iso(delivery.opt_in_date),
        "url": (f"{base}/mobiledb/persons/{delivery.person_key}/subscriptions/{delivery.list_id}"),
    }
    if delivery.opt_out_date is not None:
        subscription["opt_out_date"] = _iso(delivery.opt_out_date)
        subscription["opt_out_reason"] = delivery.opt_out_reason
    payload["subscription"] = subscription
    return payload


def outside_registration(delivery: ClaimedDelivery) -> bool:
    """Whether a callback's list filter or time window excludes this event."""
    if delivery.event_type == EventType.CALLBACK_TEST:
        return False
    if delivery.list_filter is not None and delivery.list_id not in (None, delivery.list_filter):
        return True
    if delivery.starts_at is not None and delivery.event_at < delivery.starts_at:
        return True
    return delivery.ends_at is not None and delivery.event_at > delivery.ends_at
