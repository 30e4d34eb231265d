"""Inbound SMS: every message a number sent us, and the prompts a number refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class InboundMessage(Base):
    """One SMS received from a number, kept whether or not it was a keyword."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_from", "company_id", "from_address"),
        # A provider may deliver one message twice: its id makes the second a no-op.
        Index(
            "uq_inbound_messages_provider_id",
            "company_id",
            "provider",
            "provider_message_id",
            unique=True,
            sqlite_where=text("provider_message_id IS NOT NULL"),
            postgresql_where=text("provider_message_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    from_address: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # What the message did: a keyword action, or "ignored".
    action: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConfirmationBlock(Base):
    """A number answered NO to a unit's prompt: that unit may not prompt it again."""

    __tablename__ = "confirmation_blocks"
    __table_args__ = (UniqueConstraint("company_id", "unit_id", "contact_value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("sign_up_units.id"))
    contact_value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
