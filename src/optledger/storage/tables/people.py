"""People and the identifiers that find them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime

# Every identifier kind except contact points has one value per person.
SINGLE_VALUED_SQL = "kind NOT IN ('phone', 'email')"


class Person(Base):
    """Groups a person's identifiers, contact points and attributes."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("company_id", "person_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    person_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonIdentifier(Base):
    """One identifier of a person: unique within the company for its kind and name.

    `kind` is phone, email, client_user_id, shopify_id, klaviyo_id or custom; `name`
    is the custom identifier's name and empty for the others. A person may have
    several phones and emails but one value of every other kind (and custom name).
    """

    __tablename__ = "person_identifiers"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "name", "value"),
        Index("ix_person_identifiers_person", "company_id", "person_id"),
        Index(
            "uq_person_identifiers_single_valued",
            "company_id",
            "person_id",
            "kind",
            "name",
            unique=True,
            sqlite_where=text(SINGLE_VALUED_SQL),
            postgresql_where=text(SINGLE_VALUED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
