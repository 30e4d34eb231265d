"""The first answer to each idempotency key, so that a retried request runs once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class IdempotentAnswer(Base):
    """A caller's request under one `Idempotency-Key`, and once it ran, its answer.

    `caller` is a digest of the request's credentials: keys are per credential.
    `status` stays NULL while the first request runs.
    """

    __tablename__ = "idempotent_answers"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
