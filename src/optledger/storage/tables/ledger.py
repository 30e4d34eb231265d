"""The tamper-evident ledger: each sealed event's leaf hash, the signed seals, and the
events whose content an erasure removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
)
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class LedgerLeaf(Base):
    """One sealed event's place in its company's tree, kept apart from the event so
    that the event's content can be erased and the leaf stay."""

    __tablename__ = "ledger_leaves"
    __table_args__ = (
        UniqueConstraint("event_id"),
        # A company's leaves by event id: what verifying reads, a chunk of ids at a time.
        Index("ix_ledger_leaves_company_event", "company_id", "event_id"),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: a leaf outlives a deleted event, and verification names it.
    event_id: Mapped[int] = mapped_column(BigInteger)
    # SHA-256(0x00 || the event's canonical content), hex.
    leaf_hash: Mapped[str] = mapped_column(String(64))


class LedgerSeal(Base):
    """A signed tree head of one company's tree; appended, never changed."""

    __tablename__ = "ledger_seals"
    __table_args__ = (UniqueConstraint("company_id", "tree_size"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[str] = mapped_column(String(64))
    # The tree's perfect subtrees, [[size, hex], ...]: the next seal starts from them.
    frontier: Mapped[list[Any]] = mapped_column(JSON)
    previous_head_hash: Mapped[str | None] = mapped_column(String(64))
    through_event_id: Mapped[int] = mapped_column(BigInteger)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    # Base64 of the Ed25519 signature over `head`.
    signature: Mapped[str] = mapped_column(String(88))
    # The signed bytes (canonical JSON), as text.
    head: Mapped[str] = mapped_column(Text)


class LedgerRedaction(Base):
    """An event whose personal content a privacy erasure removed, naming the request.

    Written in the erasure's transaction, with the leaf hash of the event's content as
    it was before: a seal made afterwards seals that hash, so no event escapes the tree,
    and verification tells a redacted event from an edited one."""

    __tablename__ = "ledger_redactions"

    # No foreign key, as for leaves: verification names what is gone.
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    privacy_request_id: Mapped[int] = mapped_column(ForeignKey("privacy_requests.id"))
    # SHA-256(0x00 || the event's canonical content before the erasure), hex.
    leaf_hash: Mapped[str] = mapped_column(String(64))
    # The same of its content after: an erased event edited afterwards is found.
    redacted_hash: Mapped[str] = mapped_column(String(64))


class LedgerVerification(Base):
    """One verification of a company's ledger and its outcome, appended as each ends:
    the dashboard shows the latest."""

    __tablename__ = "ledger_verifications"
    __table_args__ = (Index("ix_ledger_verifications_company", "company_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    # How many findings (edited, deleted, inserted events; unexplained records).
    findings: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(BigInteger)
    sealed: Mapped[int] = mapped_column(BigInteger)
