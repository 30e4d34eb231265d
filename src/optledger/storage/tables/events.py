"""The append-only audit trail of every consent-affecting request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class Event(Base):
    """One thing that happened to a contact point's consent, including repeats."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_contact", "company_id", "contact_value"),
        Index("ix_events_record", "company_id", "record_id"),
        # A person's events: what an erasure finds to redact beyond their contact points.
        Index("ix_events_person", "company_id", "person_id"),
        # A company's events in order: what sealing and verifying the ledger read.
        Index("ix_events_company_order", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    type: Mapped[str] = mapped_column(String(48))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("subscription_records.id"))
    channel: Mapped[str | None] = mapped_column(String(8))
    contact_value: Mapped[str | None] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The consent change it is, for webhooks: subscribed, unsubscribed, attributes_set.
    topic: Mapped[str | None] = mapped_column(String(32))
