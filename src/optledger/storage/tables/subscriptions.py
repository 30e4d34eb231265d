"""Subscription lists, sign-up units and the append-only subscription records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime

OPEN_STATUSES_SQL = "status IN ('PENDING', 'ACTIVE')"


class SubscriptionList(Base):
    """A list of one type on one channel; each company has a default per pair."""

    __tablename__ = "subscription_lists"
    __table_args__ = (
        Index(
            "uq_subscription_lists_default",
            "company_id",
            "type",
            "channel",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # active or archived: records point at lists, so a list is archived, never deleted.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignUpUnit(Base):
    """Where consent is collected: an API source, keyword, form or import."""

    __tablename__ = "sign_up_units"
    __table_args__ = (
        Index("ix_sign_up_units_lookup", "company_id", "method", "subscription_type", "status"),
        UniqueConstraint("company_id", "name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    subscription_type: Mapped[str] = mapped_column(String(32))
    channels: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2))
    legal_disclosure: Mapped[str | None] = mapped_column(Text)
    confirmation_prompt: Mapped[str | None] = mapped_column(Text)
    welcome_text: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    double_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    email_double_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_single_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    welcome_on_single_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionRecord(Base):
    """One consent of one contact point to one list; never deleted or reused.

    At most one record per (list, contact point) is open (PENDING or ACTIVE): the
    partial unique index makes that hold under concurrency, not luck.
    """

    __tablename__ = "subscription_records"
    __table_args__ = (
        Index(
            "uq_subscription_records_open",
            "company_id",
            "list_id",
            "contact_value",
            unique=True,
            sqlite_where=text(OPEN_STATUSES_SQL),
            postgresql_where=text(OPEN_STATUSES_SQL),
        ),
        Index("ix_subscription_records_contact", "company_id", "contact_value"),
        Index("ix_subscription_records_person", "company_id", "person_id"),
        Index("ix_subscription_records_company_order", "company_id", "id"),
        # The expiry sweep looks for prompts left unanswered.
        Index(
            "ix_subscription_records_pending",
            "created_at",
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
        # The dashboard's opt-ins and opt-outs of a window.
        Index("ix_subscription_records_opt_in", "company_id", "opt_in_date"),
        Index("ix_subscription_records_opt_out", "company_id", "opt_out_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    list_id: Mapped[int] = mapped_column(ForeignKey("subscription_lists.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("sign_up_units.id"))
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    contact_value: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    single_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_out_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_out_reason: Mapped[str | None] = mapped_column(String(32))
    # Consent evidence: what was shown, to whom, through which credential.
    disclosure_text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(32))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionCount(Base):
    """How many records of a company have one status on one channel with one type, kept
    by triggers on `subscription_records` (migration 0017) as records are written.

    The count is the sum over `slot`s: on PostgreSQL concurrent writers add to the
    row of their record's id modulo 64, so that they seldom wait for one another."""

    __tablename__ = "subscription_counts"

    company_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
