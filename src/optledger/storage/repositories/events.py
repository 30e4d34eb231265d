"""The append-only audit trail: every consent-affecting request is a row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optledger.observability.metrics import count_consent_events
from optledger.storage.sql import Connection, Json, Query

INSERT_EVENT = Query(
    """
    INSERT INTO events (company_id, type, person_id, record_id, channel, contact_value,
                        data, credential_id, client_ip, user_agent, created_at)
    VALUES (:company_id, :type, :person_id, :record_id, :channel, :contact_value,
            :data, :credential_id, :client_ip, :user_agent, :created_at)
    """
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
        }


async def insert_events(connection: Connection, events: Sequence[NewEvent]) -> None:
    """Append events, in order (asyncpg pipelines several in one round trip)."""
    if len(events) == 1:
        await connection.execute(INSERT_EVENT, events[0].params())
    elif events:
        await connection.executemany(INSERT_EVENT, [event.params() for event in events])
    # Openings and opt-outs on PostgreSQL write theirs in one statement and count there.
    count_consent_events(event.type for event in events)
