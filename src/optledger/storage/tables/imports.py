"""Imports started from the console: each file a job the worker runs, and its refused rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class ImportJob(Base):
    """One uploaded file and how far the worker has taken it through the import.

    A worker holds a running job under a lease (`claim_token` until `claimed_until`);
    a job whose lease ran out is taken again and resumes after `checkpoint_line`,
    the last line whose batch committed (with the counts) in the batch's transaction.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        Index("ix_import_jobs_company", "company_id", "id"),
        Index("ix_import_jobs_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("sign_up_units.id"))
    # The operator who uploaded it, as the audit trail names them.
    operator: Mapped[str] = mapped_column(String(140))
    file_name: Mapped[str] = mapped_column(String(200))
    # The upload's name in the import folder (never the operator's name for it).
    stored_name: Mapped[str] = mapped_column(String(100))
    attribute_columns: Mapped[list[str]] = mapped_column(JSON)
    # queued, running, done or failed.
    state: Mapped[str] = mapped_column(String(16))
    # Why a failed job stopped.
    failure: Mapped[str | None] = mapped_column(Text)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, server_default="0")
    imported: Mapped[int] = mapped_column(Integer, server_default="0")
    present: Mapped[int] = mapped_column(Integer, server_default="0")
    refused: Mapped[int] = mapped_column(Integer, server_default="0")
    checkpoint_line: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRefusal(Base):
    """A row of a job's file that did not go in, and why: its `errors.csv`."""

    __tablename__ = "import_refusals"

    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text)
