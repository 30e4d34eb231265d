"""How a company's list is doing: the console dashboard's figures, read in one go.

Each figure is one statement over an index (see `storage/repositories/dashboard.py`).
The opt-out rate is opt-outs over the window divided by everyone subscribed at some
point in it: active at its start plus its opt-ins, which is active now plus its
opt-outs (every record that opted in and out inside the window is counted once on
each side).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from optledger.storage.repositories import dashboard as stored
from optledger.storage.repositories.dashboard import (
    Changes,
    RecordCount,
    SealSummary,
    WebhookHealth,
)
from optledger.storage.repositories.ledger_verifications import Verification, last_verification
from optledger.storage.sql import Connection

WINDOW_DAYS = 30


@dataclass(frozen=True)
class MessageFigures:
    """Messages sent and failed (dead after their last attempt) over the window, queued
    now, and how long the oldest queued one has waited."""

    sent: int
    failed: int
    queued: int
    oldest_queued_seconds: float | None


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard shows besides the chart, for one company."""

    window_days: int
    active: list[RecordCount]
    opt_ins: Changes
    opt_outs: Changes
    pending: int
    expired: int
    messages: MessageFigures
    webhooks: WebhookHealth
    last_seal: SealSummary | None
    last_verification: Verification | None

    @property
    def active_total(self) -> int:
        """Active records over every channel and type."""
        return sum(count.count for count in self.active)

    @property
    def opt_out_rate(self) -> float | None:
        """Opt-outs over the window / (active now + those opt-outs); None with neither."""
        exposed = self.active_total + self.opt_outs.in_window
        return self.opt_outs.in_window / exposed if exposed else None


def _messages(counts: list[stored.MessageCount], now: datetime) -> MessageFigures:
    by_status = {count.status: count for count in counts}
    queued = by_status.get("queued")
    oldest = queued.oldest if queued else None
    return MessageFigures(
        sent=by_status["sent"].count if "sent" in by_status else 0,
        failed=by_status["dead"].count if "dead" in by_status else 0,
        queued=queued.count if queued else 0,
        oldest_queued_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
    )


async def dashboard_figures_of(
    connection: Connection, company_id: int, today: date, now: datetime
) -> DashboardFigures:
    """The company's figures for the window of `WINDOW_DAYS` UTC days ending `today`."""
    start_of_today = datetime(today.year, today.month, today.day, tzinfo=UTC)
    since = start_of_today - timedelta(days=WINDOW_DAYS - 1)
    counts = await stored.record_counts(connection, company_id)
    window = {"since": since, "today": start_of_today}
    return DashboardFigures(
        window_days=WINDOW_DAYS,
        active=sorted(
            (count for count in counts if count.status == "ACTIVE"),
            key=lambda count: (count.channel, count.type),
        ),
        opt_ins=await stored.consent_changes(connection, company_id, opt_ins=True, **window),
        opt_outs=await stored.consent_changes(connection, company_id, opt_ins=False, **window),
        pending=sum(count.count for count in counts if count.status == "PENDING"),
        expired=sum(count.count for count in counts if count.status == "EXPIRED"),
        messages=_messages(await stored.message_counts(connection, company_id, since), now),
        webhooks=await stored.webhook_health(connection, company_id, now),
        last_seal=await stored.last_seal(connection, company_id),
        last_verification=await last_verification(connection, company_id),
    )
