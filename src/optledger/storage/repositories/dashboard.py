"""What the console's dashboard counts: each figure one statement over a maintained
counter (`subscription_counts`, kept by triggers) or an index
(`ix_subscription_records_opt_in`, `..._opt_out`, `ix_messages_company_status`), so
that it stays fast with a million records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from optledger.storage.sql import Connection, Query, as_time

# Active, pending and expired records by channel and type: the counters' slots added up.
STATUS_COUNTS = Query(
    """SELECT status, channel, type, sum(n) AS n FROM subscription_counts
    WHERE company_id = :company_id AND status IN ('ACTIVE', 'PENDING', 'EXPIRED')
    GROUP BY status, channel, type HAVING sum(n) > 0"""
)
_CHANGES = """SELECT count(*) AS in_window,
        coalesce(sum(CASE WHEN {column} >= :today THEN 1 ELSE 0 END), 0) AS today
    FROM subscription_records WHERE company_id = :company_id AND {column} >= :since"""
OPT_INS = Query(_CHANGES.format(column="opt_in_date"))
OPT_OUTS = Query(_CHANGES.format(column="opt_out_date"))
# Sent and dead over the window, and everything still queued however old.
MESSAGE_COUNTS = Query(
    """SELECT status, count(*) AS n, min(created_at) AS oldest FROM messages
    WHERE company_id = :company_id AND status IN ('sent', 'dead') AND created_at >= :since
    GROUP BY status
    UNION ALL
    SELECT 'queued' AS status, count(*) AS n, min(created_at) AS oldest FROM messages
    WHERE company_id = :company_id AND status = 'queued'"""
)
# A company has a handful of registrations: its rows are read by `ix_webhooks_company_id`.
WEBHOOK_HEALTH = Query(
    """SELECT
        coalesce(sum(CASE WHEN disabled_at IS NULL AND failures_in_a_row > 0
            THEN 1 ELSE 0 END), 0) AS failing,
        coalesce(sum(CASE WHEN disabled_at IS NULL AND paused_until > :now
            THEN 1 ELSE 0 END), 0) AS paused,
        coalesce(sum(CASE WHEN disabled_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS disabled,
        count(*) AS registered
    FROM webhooks WHERE company_id = :company_id"""
)
LAST_SEAL = Query(
    """SELECT tree_size, sealed_at FROM ledger_seals WHERE company_id = :company_id
    ORDER BY tree_size DESC LIMIT 1"""
)


@dataclass(frozen=True)
class RecordCount:
    """How many records of one status are on one channel with one type."""

    status: str
    channel: str
    type: str
    count: int


@dataclass(frozen=True)
class Changes:
    """Opt-ins (or opt-outs) today and over the window."""

    today: int
    in_window: int


@dataclass(frozen=True)
class MessageCount:
    """Messages of one status, and the oldest one's creation time."""

    status: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class WebhookHealth:
    """The company's registrations: failing (the last delivery failed), paused by the
    circuit breaker, disabled, and all of them."""

    failing: int
    paused: int
    disabled: int
    registered: int


@dataclass(frozen=True)
class SealSummary:
    """When the company's ledger was last sealed, and the tree's size then."""

    tree_size: int
    sealed_at: datetime


async def record_counts(connection: Connection, company_id: int) -> list[RecordCount]:
    """ACTIVE, PENDING and EXPIRED records of the company by channel and type."""
    rows = await connection.fetch(STATUS_COUNTS, {"company_id": company_id})
    return [RecordCount(row["status"], row["channel"], row["type"], int(row["n"])) for row in rows]


async def consent_changes(
    connection: Connection, company_id: int, *, opt_ins: bool, since: datetime, today: datetime
) -> Changes:
    """Records opted in (or out) since `since`, and since the start of `today`."""
    params = {"company_id": company_id, "since": since, "today": today}
    row = await connection.fetchrow(OPT_INS if opt_ins else OPT_OUTS, params)
    return Changes(int(row["today"]), int(row["in_window"])) if row else Changes(0, 0)


async def message_counts(
    connection: Connection, company_id: int, since: datetime
) -> list[MessageCount]:
    """Messages sent and dead since `since`, and queued now, with the oldest of each."""
    rows = await connection.fetch(MESSAGE_COUNTS, {"company_id": company_id, "since": since})
    return [MessageCount(row["status"], row["n"], as_time(row["oldest"])) for row in rows]


async def webhook_health(connection: Connection, company_id: int, now: datetime) -> WebhookHealth:
    """How the company's webhook registrations are doing at `now`."""
    row = await connection.fetchrow(WEBHOOK_HEALTH, {"company_id": company_id, "now": now})
    if row is None:
        return WebhookHealth(0, 0, 0, 0)
    return WebhookHealth(
        int(row["failing"]), int(row["paused"]), int(row["disabled"]), int(row["registered"])
    )


async def last_seal(connection: Connection, company_id: int) -> SealSummary | None:
    """The company's latest seal, if it has one."""
    row = await connection.fetchrow(LAST_SEAL, {"company_id": company_id})
    if row is None:
        return None
    return SealSummary(int(row["tree_size"]), cast(datetime, as_time(row["sealed_at"])))
