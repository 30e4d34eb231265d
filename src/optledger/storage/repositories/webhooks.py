"""Webhook registrations and the topics they listen for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time

_COLUMNS = """id, company_id, style, url, events, method, content_type, list_id, starts_at,
    ends_at, signing_key, disabled_at, disabled_reason, failures_in_a_row, paused_until,
    created_at, updated_at"""

INSERT_WEBHOOK = Query(
    """INSERT INTO webhooks (company_id, style, url, events, method, content_type, list_id,
        starts_at, ends_at, signing_key, disabled_at, failures_in_a_row, created_at, updated_at)
    VALUES (:company_id, :style, :url, :events, :method, :content_type, :list_id, :starts_at,
        :ends_at, :signing_key, :disabled_at, 0, :now, :now)
    RETURNING id"""
)
# Enabling a registration again closes its circuit breaker.
UPDATE_WEBHOOK = Query(
    """UPDATE webhooks SET url = :url, events = :events, method = :method,
        content_type = :content_type, list_id = :list_id, starts_at = :starts_at,
        ends_at = :ends_at, disabled_at = :disabled_at, disabled_reason = :disabled_reason,
        failures_in_a_row = CASE WHEN :disabled_at IS NULL THEN 0 ELSE failures_in_a_row END,
        paused_until = CASE WHEN :disabled_at IS NULL THEN NULL ELSE paused_until END,
        updated_at = :now
    WHERE id = :id""",
    postgresql="""UPDATE webhooks SET url = :url, events = :events, method = :method,
        content_type = :content_type, list_id = :list_id, starts_at = :starts_at,
        ends_at = :ends_at, disabled_at = :disabled_at, disabled_reason = :disabled_reason,
        failures_in_a_row = CASE WHEN :disabled_at::timestamptz IS NULL THEN 0
            ELSE failures_in_a_row END,
        paused_until = CASE WHEN :disabled_at::timestamptz IS NULL THEN NULL
            ELSE paused_until END,
        updated_at = :now
    WHERE id = :id""",
)
DELETE_WEBHOOK = Query("DELETE FROM webhooks WHERE id = :id AND company_id = :company_id")
WEBHOOK = Query(
    f"""SELECT {_COLUMNS} FROM webhooks
    WHERE id = :id AND company_id = :company_id AND style = :style"""
)
COMPANY_WEBHOOKS = Query(
    f"SELECT {_COLUMNS} FROM webhooks WHERE company_id = :company_id AND style = :style ORDER BY id"
)
ALL_WEBHOOKS = Query(
    f"""SELECT {", ".join("w." + column.strip() for column in _COLUMNS.split(","))},
        c.key AS company_key FROM webhooks w
    JOIN companies c ON c.id = w.company_id ORDER BY w.id"""
)
DELETE_TOPICS = Query("DELETE FROM webhook_topics WHERE webhook_id = :webhook_id")
INSERT_TOPIC = Query(
    """INSERT INTO webhook_topics (webhook_id, company_id, topic, name, channel)
    VALUES (:webhook_id, :company_id, :topic, :name, :channel)"""
)
DISABLE_WEBHOOK = Query(
    """UPDATE webhooks SET disabled_at = :now, disabled_reason = :reason, updated_at = :now
    WHERE id = :id AND disabled_at IS NULL"""
)


@dataclass(frozen=True)
class StoredSpec:
    """What a registration asks for, as stored."""

    url: str
    events: list[str]
    method: str = "POST"
    content_type: str = "application/json"
    list_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def params(self) -> dict[str, Any]:
        """The statement parameters of these fields."""
        return {**vars(self), "events": Json(self.events)}


@dataclass(frozen=True)
class WebhookRow:
    """A stored registration."""

    id: int
    company_id: int
    style: str
    url: str
    events: list[str]
    method: str
    content_type: str
    list_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    signing_key: str
    disabled_at: datetime | None
    disabled_reason: str | None
    failures_in_a_row: int
    paused_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Topic:
    """One consent change a registration listens for, and its name in the registration."""

    topic: str
    name: str
    channel: str | None


def _webhook(row: Row) -> WebhookRow:
    return WebhookRow(
        id=row["id"],
        company_id=row["company_id"],
        style=row["style"],
        url=row["url"],
        events=list(as_json(row["events"])),
        method=row["method"],
        content_type=row["content_type"],
        list_id=row["list_id"],
        starts_at=as_time(row["starts_at"]),
        ends_at=as_time(row["ends_at"]),
        signing_key=row["signing_key"],
        disabled_at=as_time(row["disabled_at"]),
        disabled_reason=row["disabled_reason"],
        failures_in_a_row=row["failures_in_a_row"],
        paused_until=as_time(row["paused_until"]),
        created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
        updated_at=as_time(row["updated_at"]),  # type: ignore[arg-type]
    )


async def _save_topics(
    connection: Connection, webhook_id: int, company_id: int, topics: Sequence[Topic]
) -> None:
    await connection.execute(DELETE_TOPICS, {"webhook_id": webhook_id})
    await connection.executemany(
        INSERT_TOPIC,
        [{"webhook_id": webhook_id, "company_id": company_id, **vars(topic)} for topic in topics],
    )


async def insert_webhook(
    connection: Connection,
    *,
    company_id: int,
    style: str,
    spec: StoredSpec,
    topics: Sequence[Topic],
    signing_key: str,
    disabled_at: datetime | None,
    now: datetime,
) -> int:
    """Store a registration and its topics; returns its id."""
    params = {
        **spec.params(),
        "company_id": company_id,
        "style": style,
        "signing_key": signing_key,
        "disabled_at": disabled_at,
        "now": now,
    }
    webhook_id = int(await connection.fetchval(INSERT_WEBHOOK, params))
    await _save_topics(connection, webhook_id, company_id, topics)
    return webhook_id


async def update_webhook(
    connection: Connection,
    webhook_id: int,
    *,
    spec: StoredSpec,
    topics: Sequence[Topic],
    company_id: int,
    disabled_at: datetime | None,
    disabled_reason: str | None,
    now: datetime,
) -> None:
    """Replace a registration's settings and topics; its key and deliveries stay."""
    params = {
        **spec.params(),
        "id": webhook_id,
        "disabled_at": disabled_at,
        "disabled_reason": disabled_reason,
        "now": now,
    }
    await connection.execute(UPDATE_WEBHOOK, params)
    await _save_topics(connection, webhook_id, company_id, topics)


async def delete_webhook(connection: Connection, company_id: int, webhook_id: int) -> bool:
    """Remove a registration with its topics and deliveries; False if there is none."""
    return (
        await connection.execute(DELETE_WEBHOOK, {"id": webhook_id, "company_id": company_id}) > 0
    )


async def webhook_of(
    connection: Connection, company_id: int, webhook_id: int, style: str
) -> WebhookRow | None:
    """One registration of the company, of `style`."""
    row = await connection.fetchrow(
        WEBHOOK, {"id": webhook_id, "company_id": company_id, "style": style}
    )
    return None if row is None else _webhook(row)


async def webhooks_of(connection: Connection, company_id: int, style: str) -> list[WebhookRow]:
    """The company's registrations of `style`, oldest first."""
    rows = await connection.fetch(COMPANY_WEBHOOKS, {"company_id": company_id, "style": style})
    return [_webhook(row) for row in rows]


async def every_webhook(connection: Connection) -> list[tuple[str, WebhookRow]]:
    """Every registration of every company, with the company's key (the operator's view)."""
    rows = await connection.fetch(ALL_WEBHOOKS, {})
    return [(row["company_key"], _webhook(row)) for row in rows]


async def disable_webhook(
    connection: Connection, webhook_id: int, reason: str, now: datetime
) -> None:
    """Stop delivering to a registration (its receiver said it is gone)."""
    await connection.execute(DISABLE_WEBHOOK, {"id": webhook_id, "reason": reason, "now": now})
