"""Custom attribute definitions per company and attribute values per person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from optledger.storage.clock import utcnow
from optledger.storage.tables.base import Base
from optledger.storage.types import BigId, UTCDateTime

MAX_CUSTOM_ATTRIBUTES = 100


class AttributeDefinition(Base):
    """A custom attribute of a company: its case-sensitive name, type and enum values.

    Each definition holds one of the company's `MAX_CUSTOM_ATTRIBUTES` slots; the
    unique slot makes the limit hold under concurrent creation, not only in code.
    """

    __tablename__ = "attribute_definitions"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        UniqueConstraint("company_id", "slot"),
        CheckConstraint(f"slot BETWEEN 1 AND {MAX_CUSTOM_ATTRIBUTES}", name="slot_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    enum_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    slot: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonAttribute(Base):
    """One attribute value of a person; standard attributes have no definition.

    Standard and custom names share one namespace per person (standard names are
    reserved), so there is one row per (person, name).
    """

    __tablename__ = "person_attributes"
    __table_args__ = (
        UniqueConstraint("company_id", "person_id", "name"),
        Index("ix_person_attributes_definition", "company_id", "definition_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("attribute_definitions.id"))
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
