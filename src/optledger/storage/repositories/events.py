"""The append-only audit trail: every consent-affecting request is a row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optledger.observability.metrics import count_consent_events
from optledger.storage.sql import Connection, Json, Query, as_time

_COLUMNS = """company_id, type, person_id, record_id, channel, contact_value, data,
    credential_id, client_ip, user_agent, created_at, topic"""
_VALUES = """:company_id, :type, :person_id, :record_id, :channel, :contact_value, :data,
    :credential_id, :client_ip, :user_agent, :created_at, :topic"""
# What a written event returns for its webhook deliveries.
RETURNED_FOR_WEBHOOKS = (
    "RETURNING id, company_id, topic, channel, contact_value, person_id, created_at"
)


def fan_out_from(events: str) -> str:
    """One delivery for each live webhook listening for each of `events` (a relation
    of events as `RETURNED_FOR_WEBHOOKS` gives them), in the events' transaction.

    A delivery's subscriber is its person (else its contact point): deliveries to one
    subscriber go out in order."""
    return f"""INSERT INTO webhook_deliveries (company_id, webhook_id, event_id, name, subscriber,
        status, attempts, next_attempt_at, created_at)
    SELECT ev.company_id, t.webhook_id, ev.id, t.name,
        COALESCE(CAST(ev.person_id AS TEXT), ev.contact_value), 'pending', 0,
        ev.created_at, ev.created_at
    FROM {events} ev
    JOIN webhook_topics t ON t.company_id = ev.company_id AND t.topic = ev.topic
        AND (t.channel IS NULL OR t.channel = ev.channel)
    JOIN webhooks w ON w.id = t.webhook_id AND w.disabled_at IS NULL
    ON CONFLICT (webhook_id, event_id) DO NOTHING"""


INSERT_EVENT = Query(
    f"INSERT INTO events ({_COLUMNS}) VALUES ({_VALUES}) RETURNING id",
    # The event and its webhook deliveries in one statement.
    postgresql=f"""WITH written AS (
        INSERT INTO events ({_COLUMNS}) VALUES ({_VALUES}) {RETURNED_FOR_WEBHOOKS}
    ) {fan_out_from("written")}""",
)
INSERT_EVENT_RETURNING_ID = Query(
    f"INSERT INTO events ({_COLUMNS}) VALUES ({_VALUES}) RETURNING id",
)
FAN_OUT_EVENT = Query(
    fan_out_from(
        """(SELECT id, company_id, topic, channel, contact_value, person_id, created_at
        FROM events WHERE id = :event_id)"""
    )
)


@dataclass(frozen=True)
class NewEvent:
    """One event to append."""

    company_id: int
    type: str
    created_at: datetime
    person_id: int | None = None
    record_id: int | None = None
    channel: str | None = None
    contact_value: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    credential_id: int | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    # The consent change it is, when webhooks may listen for it.
    topic: str | None = None

    def params(self) -> dict[str, Any]:
        """The statement parameters of this event."""
        return {
            "company_id": self.company_id,
            "type": self.type,
            "person_id": self.person_id,
            "record_id": self.record_id,
            "channel": self.channel,
            "contact_value": self.contact_value,
            "data": Json(self.data),
            "credential_id": self.credential_id,
            "client_ip": self.client_ip,
            "user_agent": self.user_agent,
            "created_at": self.created_at,
            "topic": self.topic,
        }


# Along the (company_id, record_id) index: a record has a handful of events.
LAST_OF_RECORD = Query(
    """SELECT max(created_at) AS at FROM events
    WHERE company_id = :company_id AND record_id = :record_id AND type = :type"""
)


async def insert_events(connection: Connection, events: Sequence[NewEvent]) -> None:
    """Append events, in order, each with its webhook deliveries (asyncpg pipelines
    several in one round trip; on SQLite a statement costs microseconds)."""
    if connection.is_sqlite:
        for event in events:
            event_id = await connection.fetchval(INSERT_EVENT, event.params())
            if event.topic is not None and await connection.execute(
                FAN_OUT_EVENT, {"event_id": event_id}
            ):
                connection.webhooks_written = True
    elif len(events) == 1:
        await connection.execute(INSERT_EVENT, events[0].params())
    elif events:
        await connection.executemany(INSERT_EVENT, [event.params() for event in events])
    # Openings and opt-outs on PostgreSQL write theirs in one statement and count there.
    count_consent_events(event.type for event in events)


async def insert_event_returning_id(connection: Connection, event: NewEvent) -> int:
    """Append one event that no webhook listens for, and return its id."""
    assert event.topic is None
    count_consent_events([event.type])
    return int(await connection.fetchval(INSERT_EVENT_RETURNING_ID, event.params()))


async def last_of_record(
    connection: Connection, company_id: int, record_id: int, event_type: str
) -> datetime | None:
    """When the record's latest event of `event_type` was written, if it has one."""
    row = await connection.fetchrow(
        LAST_OF_RECORD, {"company_id": company_id, "record_id": record_id, "type": event_type}
    )
    return None if row is None else as_time(row["at"])
