"""The operators' audit trail: who changed what, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class OperatorAudit(Base):
    """One change an operator made (or one sign-in), appended and never changed.

    Not a tenant table in the usual sense: a sign-in or a new operator belongs to no
    company, so `company_id` may be NULL.
    """

    __tablename__ = "operator_audit"
    __table_args__ = (
        Index("ix_operator_audit_company", "company_id", "id"),
        Index("ix_operator_audit_actor", "actor", "id"),
        Index("ix_operator_audit_object", "object_type", "object_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    # An operator's name, or `cli:<OS user>` for the command line.
    actor: Mapped[str] = mapped_column(String(140))
    # What was done, e.g. `unit.updated`, `credential.revoked`, `sign_in_failed`.
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(200))
    # {field: {"before": ..., "after": ...}} for what changed; never a secret.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
