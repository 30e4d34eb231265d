"""Privacy requests and the suppression list that outlives an erasure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class PrivacyKey(Base):
    """The company's key for suppression hashes, made on its first erasure.

    Kept in the database, not derived from the server secret, so that rotating
    that secret can never silently drop every suppression.
    """

    __tablename__ = "privacy_keys"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """A contact point that was erased: only a keyed hash of it is kept."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("company_id", "channel", "contact_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    channel: Mapped[str] = mapped_column(String(8))
    contact_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    privacy_request_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyRequest(Base):
    """A deletion request; the subject is kept masked, never in the clear."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    subject_email: Mapped[str | None] = mapped_column(String(320))
    subject_phone: Mapped[str | None] = mapped_column(String(32))
    request_msg: Mapped[str | None] = mapped_column(Text)
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processing_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
