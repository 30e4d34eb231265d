"""Operators: the people who run an installation, their API tokens and sign-in failures.

Operators belong to the installation, not to a company: one may see every company
or a listed few (`operator_companies`). They never act through a company's
credentials, nor a company's credentials through theirs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime


class Operator(Base):
    """A person with access to the management API, the CLI's view and the console."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Kept lower-cased: names are compared without regard to case.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # An argon2 hash (PHC string): passwords are chosen by people, so a slow hash.
    password_hash: Mapped[str] = mapped_column(String(200))
    # Every company, present and future; otherwise only those in operator_companies.
    all_companies: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Random, named by each console session cookie; a new one ends every session
    # (sign-out, a new password, fewer companies): the cookies alone are stateless.
    session_epoch: Mapped[str] = mapped_column(String(64))


class OperatorCompany(Base):
    """One company an operator limited to a few may see."""

    __tablename__ = "operator_companies"

    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)


class OperatorToken(Base):
    """A bearer token of the management API; only the SHA-256 of its secret is kept."""

    __tablename__ = "operator_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    lookup_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """Failed sign-ins in a row for one key (an operator's name, or a client address).

    In the database, not in a process: every server process counts the same failures.
    """

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
