"""The worker's side of webhook deliveries: claiming, recording, the circuit breaker,
and the delivery log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.database import WEBHOOKS_CHANNEL
from optledger.storage.repositories import leases
from optledger.storage.repositories.leases import lease_queries
from optledger.storage.sql import Connection, Query, Row, as_dict, as_json, as_time

_CLAIMED_COLUMNS = """d.id, d.webhook_id, d.event_id, d.name, d.subscriber, d.attempts,
    d.created_at, w.style, w.url, w.method, w.content_type, w.list_id AS list_filter,
    w.starts_at, w.ends_at, w.signing_key, c.id AS company_id, c.key AS company_key,
    c.name AS company_name, ev.type AS event_type, ev.channel, ev.contact_value,
    ev.person_id, ev.data AS event_data, ev.created_at AS event_at, r.list_id,
    r.type AS subscription_type, r.opt_in_date, r.opt_out_date, r.opt_out_reason,
    p.person_key"""
LEASES = lease_queries(
    table="webhook_deliveries",
    alias="d",
    waiting="pending",
    columns=_CLAIMED_COLUMNS,
    joins="""JOIN webhooks w ON w.id = d.webhook_id
    JOIN companies c ON c.id = d.company_id
    JOIN events ev ON ev.id = d.event_id
    LEFT JOIN subscription_records r ON r.id = ev.record_id
    LEFT JOIN persons p ON p.id = ev.person_id""",
    # Of a live registration whose breaker is closed, and first in its subscriber's
    # line: an earlier delivery to the same subscriber that waits for a retry or is out
    # with another worker holds the later ones back.
    due_joins="JOIN webhooks w ON w.id = d.webhook_id",
    due_also="""w.disabled_at IS NULL AND (w.paused_until IS NULL OR w.paused_until <= :now)
    AND NOT EXISTS (
        SELECT 1 FROM webhook_deliveries e
        WHERE e.webhook_id = d.webhook_id AND e.subscriber = d.subscriber
          AND e.status = 'pending' AND e.id < d.id
          AND (e.next_attempt_at > :now OR e.claimed_until >= :now)
    )""",
)
PENDING_AMONG = Query(
    """SELECT id, webhook_id, attempts, created_at FROM webhook_deliveries
    WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'pending'""",
    postgresql="""SELECT id, webhook_id, attempts, created_at FROM webhook_deliveries
    WHERE id = ANY(:ids::bigint[]) AND status = 'pending'""",
)
MARK_ATTEMPT = Query(
    """UPDATE webhook_deliveries SET status = :status, next_attempt_at = :next_attempt_at,
        claimed_until = NULL, last_status_code = :status_code, last_latency_ms = :latency_ms,
        last_error = :error, delivered_at = :delivered_at
    WHERE id = :id"""
)
# The breaker: failures in a row pause a registration, doubling the pause each time
# it trips again; one success closes it.
RECORD_HEALTH = Query(
    """UPDATE webhooks SET
        failures_in_a_row = CASE WHEN :succeeded THEN 0 ELSE failures_in_a_row + :failures END,
        paused_until = CASE WHEN :succeeded THEN NULL
            WHEN failures_in_a_row + :failures >= :threshold THEN :paused_until
            ELSE paused_until END
    WHERE id = :id"""
)
DISABLE = Query(
    """UPDATE webhooks SET disabled_at = :now, disabled_reason = :reason, updated_at = :now
    WHERE id = :id AND disabled_at IS NULL"""
)
INSERT_DELIVERY = Query(
    """INSERT INTO webhook_deliveries (company_id, webhook_id, event_id, name, subscriber,
        status, attempts, next_attempt_at, created_at)
    VALUES (:company_id, :webhook_id, :event_id, :name, NULL, 'pending', 0, :now, :now)"""
)
# In slices, so that a long backlog never holds one long lock.
FORGET_FINISHED = Query(
    """DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE status <> 'pending' AND created_at < :cutoff LIMIT 5000
    )"""
)
_LOG_COLUMNS = """d.id, d.event_id, d.name, d.status, d.attempts, d.next_attempt_at,
    d.last_status_code, d.last_latency_ms, d.last_error, d.delivered_at, d.created_at"""
DELIVERIES_OF = Query(
    f"""SELECT {_LOG_COLUMNS} FROM webhook_deliveries d
    WHERE d.webhook_id = :webhook_id AND (:before IS NULL OR d.id < :before)
      AND (:status IS NULL OR d.status = :status)
    ORDER BY d.id DESC LIMIT :limit""",
    postgresql=f"""SELECT {_LOG_COLUMNS} FROM webhook_deliveries d
    WHERE d.webhook_id = :webhook_id AND (:before::bigint IS NULL OR d.id < :before)
      AND (:status::text IS NULL OR d.status = :status)
    ORDER BY d.id DESC LIMIT :limit""",
)
REDELIVER = Query(
    """UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now,
        claimed_until = NULL, attempts = 0, created_at = :now
    WHERE event_id = :event_id AND status <> 'pending'
      AND (:webhook_id IS NULL OR webhook_id = :webhook_id)
    RETURNING company_id, webhook_id""",
    postgresql="""UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now,
        claimed_until = NULL, attempts = 0, created_at = :now
    WHERE event_id = :event_id AND status <> 'pending'
      AND (:webhook_id::bigint IS NULL OR webhook_id = :webhook_id)
    RETURNING company_id, webhook_id""",
)


# Workers in other processes learn of requeued deliveries at once (inserted ones
# notify through a trigger).
NOTIFY_WORKERS = Query("SELECT 1", postgresql=f"SELECT pg_notify('{WEBHOOKS_CHANNEL}', '')")


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery leased to this worker, with what its payload is made of."""

    id: int
    webhook_id: int
    event_id: int
    name: str
    subscriber: str | None
    attempts: int
    created_at: datetime
    style: str
    url: str
    method: str
    content_type: str
    list_filter: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    signing_key: str
    company_id: int
    company_key: str
    company_name: str
    event_type: str
    channel: str | None
    contact_value: str | None
    person_id: int | None
    event_data: dict[str, Any]
    event_at: datetime
    list_id: int | None
    subscription_type: str | None
    opt_in_date: datetime | None
    opt_out_date: datetime | None
    opt_out_reason: str | None
    person_key: str | None


_TIMES = ("created_at", "starts_at", "ends_at", "event_at", "opt_in_date", "opt_out_date")


def _claimed(row: Row) -> ClaimedDelivery:
    values = as_dict(row)
    for name in _TIMES:
        values[name] = as_time(values[name])
    values["event_data"] = as_json(values["event_data"]) or {}
    return ClaimedDelivery(**values)


async def claim_due(
    connection: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries, oldest first, counting the attempt."""
    rows = await leases.claim_due(connection, LEASES, now, lease_until, limit)
    return [_claimed(row) for row in rows]


@dataclass(frozen=True)
class PendingDelivery:
    """What recording an outcome needs of a delivery still pending."""

    id: int
    webhook_id: int
    attempts: int
    created_at: datetime


async def pending_among(connection: Connection, ids: Collection[int]) -> list[PendingDelivery]:
    """Those of `ids` still pending (another worker may have finished one)."""
    if not ids:
        return []
    rows = await connection.fetch(PENDING_AMONG, {"ids": sorted(ids)})
    return [
        PendingDelivery(r["id"], r["webhook_id"], r["attempts"], as_time(r["created_at"]))  # type: ignore[arg-type]
        for r in rows
    ]


async def release_claims(connection: Connection, ids: Collection[int]) -> int:
    """Give leased deliveries back untried, for any worker to claim now."""
    return await leases.release_claims(connection, LEASES, ids)


@dataclass(frozen=True)
class Attempt:
    """How one attempt went, as the delivery log keeps it."""

    id: int
    status: str
    next_attempt_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    delivered_at: datetime | None


async def mark_attempts(connection: Connection, attempts: Sequence[Attempt]) -> None:
    """Record attempts: delivered, pending again (with its next time), dead or skipped."""
    if attempts:
        await connection.executemany(MARK_ATTEMPT, [vars(attempt) for attempt in attempts])


async def record_health(
    connection: Connection,
    webhook_id: int,
    *,
    succeeded: bool,
    failures: int,
    threshold: int,
    paused_until: datetime,
) -> None:
    """Close the breaker on a success, or count failures and pause at `threshold`."""
    await connection.execute(
        RECORD_HEALTH,
        {
            "id": webhook_id,
            "succeeded": succeeded,
            "failures": failures,
            "threshold": threshold,
            "paused_until": paused_until,
        },
    )


async def disable(connection: Connection, webhook_id: int, reason: str, now: datetime) -> None:
    """Stop delivering to a registration whose receiver said it is gone."""
    await connection.execute(DISABLE, {"id": webhook_id, "reason": reason, "now": now})


async def insert_delivery(
    connection: Connection,
    *,
    company_id: int,
    webhook_id: int,
    event_id: int,
    name: str,
    now: datetime,
) -> None:
    """Queue one event for one registration outside the fan-out (a test event)."""
    connection.webhooks_written = True
    await connection.execute(
        INSERT_DELIVERY,
        {
            "company_id": company_id,
            "webhook_id": webhook_id,
            "event_id": event_id,
            "name": name,
            "now": now,
        },
    )


@dataclass(frozen=True)
class LoggedDelivery:
    """A delivery as its registration's log shows it."""

    id: int
    event_id: int
    name: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


async def deliveries_of(
    connection: Connection,
    webhook_id: int,
    limit: int,
    before: int | None = None,
    status: str | None = None,
) -> list[LoggedDelivery]:
    """A registration's deliveries, newest first, `limit` of those before id `before`,
    of one status or all."""
    rows = await connection.fetch(
        DELIVERIES_OF,
        {"webhook_id": webhook_id, "before": before, "status": status, "limit": limit},
    )
    return [
        LoggedDelivery(
            id=r["id"],
            event_id=r["event_id"],
            name=r["name"],
            status=r["status"],
            attempts=r["attempts"],
            next_attempt_at=as_time(r["next_attempt_at"]),
            last_status_code=r["last_status_code"],
            last_latency_ms=r["last_latency_ms"],
            last_error=r["last_error"],
            delivered_at=as_time(r["delivered_at"]),
            created_at=as_time(r["created_at"]),  # type: ignore[arg-type]
        )
        for r in rows
    ]


async def redeliver(
    connection: Connection, event_id: int, webhook_id: int | None, now: datetime
) -> list[tuple[int, int]]:
    """Queue an event's finished deliveries again (all, or one registration's), with a
    fresh retry window; the company and registration of each one queued."""
    rows = await connection.fetch(
        REDELIVER, {"event_id": event_id, "webhook_id": webhook_id, "now": now}
    )
    if rows:
        connection.webhooks_written = True
        await connection.fetchval(NOTIFY_WORKERS, {})
    return [(row["company_id"], row["webhook_id"]) for row in rows]


async def forget_finished(connection: Connection, cutoff: datetime) -> int:
    """Delete up to a slice of finished deliveries queued before `cutoff`; returns how many."""
    return await connection.execute(FORGET_FINISHED, {"cutoff": cutoff})
