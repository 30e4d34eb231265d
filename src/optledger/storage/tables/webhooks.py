"""Webhook registrations, the consent changes each listens for, and their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class Webhook(Base):
    """Where a company wants consent changes sent, and how they are signed."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # The payload shape: attentive (or vibes).
    style: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    # The event names as registered, in the style's own words.
    events: Mapped[list[str]] = mapped_column(JSON)
    # Kept in the clear: every delivery is signed with it.
    signing_key: Mapped[str] = mapped_column(String(100))
    # How the destination takes a delivery (Vibes lets callers choose).
    method: Mapped[str] = mapped_column(String(8), server_default="POST")
    content_type: Mapped[str] = mapped_column(String(100), server_default="application/json")
    # Only changes on this subscription list, and only within the window (Vibes).
    list_id: Mapped[int | None] = mapped_column(BigId)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # Circuit breaker: failures in a row, and no attempts before `paused_until`.
    failures_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookTopic(Base):
    """One consent change a webhook listens for: a topic, on one channel or all."""

    __tablename__ = "webhook_topics"
    __table_args__ = (
        Index("ix_webhook_topics_company_id", "company_id", "topic"),
        UniqueConstraint("webhook_id", "topic", "channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    topic: Mapped[str] = mapped_column(String(32))
    # The event name it came from (`sms.subscribed`), which payloads carry.
    name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(8))


class WebhookDelivery(Base):
    """One event to send to one webhook: its attempts and how the last one went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),
        # Deliveries to one subscriber go out in order: the earlier ones are looked up.
        Index("ix_webhook_deliveries_subscriber", "webhook_id", "subscriber", "status"),
        UniqueConstraint("webhook_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    name: Mapped[str] = mapped_column(String(64))
    subscriber: Mapped[str | None] = mapped_column(String(320))
    # pending, delivered, dead, or skipped (outside the registration's list or window)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
