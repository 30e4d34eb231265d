"""A subscriber as an operator looks them up: who they are, and every piece of consent.

The consent timeline is the proof a brand shows when asked: every subscription
record with the evidence it was given with (unit, disclosure text as shown,
source, credential, address, user agent, time), every event, and every message
sent to the person's phones and addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from optledger.core.contact_points import parse_contact_value
from optledger.core.errors import InvalidContactPoint, NotFound
from optledger.core.people import CONTACT_KINDS, IdentifierKind
from optledger.storage.repositories import console as stored
from optledger.storage.repositories import people
from optledger.storage.repositories.attributes import values_of_person
from optledger.storage.repositories.message_deliveries import LoggedMessage, messages_to_any
from optledger.storage.repositories.people import PersonRow, StoredIdentifier
from optledger.storage.sql import Connection

# Kinds a lookup tries a free-text value as, besides a phone or an email.
_EXTERNAL_KINDS = (
    IdentifierKind.CLIENT_USER_ID,
    IdentifierKind.SHOPIFY_ID,
    IdentifierKind.KLAVIYO_ID,
)
MAX_QUERY_LENGTH = 320
TIMELINE_EVENTS = 500
TIMELINE_MESSAGES = 200


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the consent timeline: a record's creation, an event or a message."""

    at: datetime
    kind: str
    title: str
    details: dict[str, Any]


@dataclass(frozen=True)
class SubscriberLedger:
    """A person, their identifiers and attributes, records, and the timeline of it all."""

    person: PersonRow
    identifiers: list[StoredIdentifier]
    attributes: dict[str, Any]
    records: list[dict[str, Any]]
    messages: list[LoggedMessage]
    timeline: list[TimelineEntry]


async def find_subscribers(connection: Connection, company_id: int, query: str) -> list[PersonRow]:
    """The people a phone, email, external id, custom identifier value (of any name) or
    person key names (usually one)."""
    text = query.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return []
    keys: list[people.Key] = [(kind.value, "", text) for kind in _EXTERNAL_KINDS]
    try:
        value = parse_contact_value(text)
    except InvalidContactPoint:
        pass
    else:
        kind = IdentifierKind.EMAIL if "@" in value else IdentifierKind.PHONE
        keys.append((kind.value, "", value))
    owners = await people.owners_of(connection, company_id, keys)
    found = {person.id: person for person in owners.values()}
    for person in await people.owners_of_custom_value(connection, company_id, text):
        found[person.id] = person
    by_key = await people.person_by_key(connection, company_id, text)
    if by_key is not None:
        found[by_key.id] = by_key
    return sorted(found.values(), key=lambda person: person.id)


async def subscriber_ledger(
    connection: Connection, company_id: int, person_key: str
) -> SubscriberLedger:
    """Everything the ledger holds on one person of the company, or `NotFound`."""
    person = await people.person_by_key(connection, company_id, person_key)
    if person is None:
        raise NotFound("no such subscriber")
    identifiers = await people.identifiers_of_people(connection, company_id, [person.id])
    attributes = await values_of_person(connection, company_id, person.id)
    records = await stored.records_of_person(connection, company_id, person.id)
    events = await stored.events_of_person(connection, company_id, person.id, TIMELINE_EVENTS)
    addresses = {
        found.value for found in identifiers if IdentifierKind(found.kind) in CONTACT_KINDS
    } | {record["contact_value"] for record in records}
    messages = await messages_to_any(connection, company_id, addresses, TIMELINE_MESSAGES)
    return SubscriberLedger(
        person=person,
        identifiers=identifiers,
        attributes=attributes,
        records=records,
        messages=messages,
        timeline=_timeline(records, events, messages),
    )


def _timeline(
    records: list[dict[str, Any]], events: list[dict[str, Any]], messages: list[LoggedMessage]
) -> list[TimelineEntry]:
    by_id = {record["id"]: record for record in records}
    entries = [
        TimelineEntry(
            at=event["created_at"],
            kind="event",
            title=event["type"],
            details=_event_details(event, by_id.get(event["record_id"])),
        )
        for event in events
    ]
    entries += [
        TimelineEntry(
            at=message.created_at,
            kind="message",
            title=f"{message.kind} {message.channel.lower()} {message.status.lower()}",
            details={
                "to": message.to_address,
                "body": message.body,
                "attempts": message.attempts,
                "sent at": message.sent_at,
                "error": message.last_error,
            },
        )
        for message in messages
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _event_details(event: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """An event's evidence, with its record's unit and disclosure text as shown."""
    details: dict[str, Any] = {
        "contact point": event["contact_value"],
        "channel": event["channel"],
        "credential": _credential(event),
        "ip": event["client_ip"],
        "user agent": event["user_agent"],
    }
    if record is not None:
        details |= {
            "record": f"#{record['id']} {record['type']} {record['list_name']}",
            "unit": record["unit_name"],
            "source": record["source"],
            "disclosure as shown": record["disclosure_text"],
        }
    details |= {f"data: {name}": value for name, value in event["data"].items()}
    return details


def _credential(row: dict[str, Any]) -> str | None:
    if row["credential_name"] is None:
        return None
    return f"{row['credential_name']} ({row['credential_kind']})"


@dataclass(frozen=True)
class ConsentDay:
    """Opt-ins and opt-outs of one UTC day."""

    day: date
    opt_ins: int
    opt_outs: int


async def consent_by_day(
    connection: Connection, company_id: int, today: date, days: int = 30
) -> list[ConsentDay]:
    """The last `days` UTC days up to `today`, oldest first, days without changes as 0."""
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    counts = await stored.daily_consent_counts(connection, company_id, since)
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        opt_ins, opt_outs = counts.get(day.isoformat(), (0, 0))
        found.append(ConsentDay(day, opt_ins, opt_outs))
    return found
