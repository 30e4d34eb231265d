"""Outbox workers' heartbeats, and the state of delivery read together with them.

Each worker process keeps one row fresh; `serve` and `/metrics` read the outbox
backlog and the latest heartbeat in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optledger.storage.sql import Connection, Query, as_time

BEAT = Query(
    """INSERT INTO worker_heartbeats (worker_id, seen_at) VALUES (:worker_id, :seen_at)
    ON CONFLICT (worker_id) DO UPDATE SET seen_at = excluded.seen_at"""
)
FORGET = Query("DELETE FROM worker_heartbeats WHERE worker_id = :worker_id")
FORGET_SEEN_BEFORE = Query("DELETE FROM worker_heartbeats WHERE seen_at < :before")
# Queued messages are few while workers keep up, and the `ix_messages_due` index
# (status first) finds them without reading the sent ones.
DELIVERY_STATE = Query(
    """SELECT
        (SELECT count(*) FROM messages WHERE status = 'queued') AS queued,
        (SELECT min(created_at) FROM messages WHERE status = 'queued') AS oldest_queued_at,
        (SELECT max(seen_at) FROM worker_heartbeats) AS last_heartbeat_at"""
)


@dataclass(frozen=True)
class DeliveryState:
    """The outbox backlog and when any worker was last seen."""

    queued: int
    oldest_queued_at: datetime | None
    last_heartbeat_at: datetime | None


async def beat(connection: Connection, worker_id: str, seen_at: datetime) -> None:
    """Record that `worker_id` is alive at `seen_at`."""
    await connection.execute(BEAT, {"worker_id": worker_id, "seen_at": seen_at})


async def forget(connection: Connection, worker_id: str) -> None:
    """Remove the heartbeat of a worker that stopped."""
    await connection.execute(FORGET, {"worker_id": worker_id})


async def forget_seen_before(connection: Connection, before: datetime) -> None:
    """Remove heartbeats of workers that died without saying so."""
    await connection.execute(FORGET_SEEN_BEFORE, {"before": before})


async def delivery_state(connection: Connection) -> DeliveryState:
    """Queued messages, the oldest one's queue time and the latest heartbeat."""
    row = await connection.fetchrow(DELIVERY_STATE)
    assert row is not None  # an aggregate always answers one row
    return DeliveryState(
        queued=int(row["queued"]),
        oldest_queued_at=as_time(row["oldest_queued_at"]),
        last_heartbeat_at=as_time(row["last_heartbeat_at"]),
    )
