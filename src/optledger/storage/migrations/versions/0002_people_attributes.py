"""people, identity and attributes

Custom attribute definitions and values, privacy requests, the per-company
suppression key and the suppression list; one value per person of every
identifier kind other than phone and email.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, optledger.storage.types.UTCDateTime(timezone=True), nullable=nullable)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies")
    )


SINGLE_VALUED_SQL = "kind NOT IN ('phone', 'email')"


def upgrade() -> None:
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            "uq_person_identifiers_single_valued",
            ["company_id", "person_id", "kind", "name"],
            unique=True,
            sqlite_where=sa.text(SINGLE_VALUED_SQL),
            postgresql_where=sa.text(SINGLE_VALUED_SQL),
        )
    op.create_table(
        "attribute_definitions",
        _id("id"),
        _id("company_id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("enum_values", sa.JSON(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.CheckConstraint(
            "slot BETWEEN 1 AND 100", name=op.f("ck_attribute_definitions_slot_range")
        ),
        _company_fk("attribute_definitions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_definitions")),
        sa.UniqueConstraint(
            "company_id", "name", name=op.f("uq_attribute_definitions_company_id_name")
        ),
        sa.UniqueConstraint(
            "company_id", "slot", name=op.f("uq_attribute_definitions_company_id_slot")
        ),
    )
    op.create_table(
        "person_attributes",
        _id("id"),
        _id("company_id"),
        _id("person_id"),
        _id("definition_id", nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _time("updated_at"),
        _company_fk("person_attributes"),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["attribute_definitions.id"],
            name=op.f("fk_person_attributes_definition_id_attribute_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_attributes_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_attributes")),
        sa.UniqueConstraint(
            "company_id",
            "person_id",
            "name",
            name=op.f("uq_person_attributes_company_id_person_id_name"),
        ),
    )
    with op.batch_alter_table("person_attributes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_attributes_definition", ["company_id", "definition_id"], unique=False
        )

    op.create_table(
        "privacy_keys",
        _id("id"),
        _id("company_id"),
        sa.Column("secret", sa.String(length=128), nullable=False),
        _time("created_at"),
        _company_fk("privacy_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_keys")),
        sa.UniqueConstraint("company_id", name=op.f("uq_privacy_keys_company_id")),
    )
    op.create_table(
        "privacy_requests",
        _id("id"),
        _id("company_id"),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("subject_email", sa.String(length=320), nullable=True),
        sa.Column("subject_phone", sa.String(length=32), nullable=True),
        sa.Column("request_msg", sa.Text(), nullable=True),
        sa.Column("processed", sa.Boolean(), nullable=False),
        _id("credential_id", nullable=True),
        _time("requested_at"),
        _time("processing_started_at", nullable=True),
        _time("processing_ended_at", nullable=True),
        _company_fk("privacy_requests"),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_privacy_requests_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_requests_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "suppressions",
        _id("id"),
        _id("company_id"),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        _id("privacy_request_id", nullable=True),
        _time("created_at"),
        _company_fk("suppressions"),
        sa.ForeignKeyConstraint(
            ["privacy_request_id"],
            ["privacy_requests.id"],
            name=op.f("fk_suppressions_privacy_request_id_privacy_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint(
            "company_id",
            "channel",
            "contact_hash",
            name=op.f("uq_suppressions_company_id_channel_contact_hash"),
        ),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_requests_company_id"))
    op.drop_table("privacy_requests")
    op.drop_table("privacy_keys")
    with op.batch_alter_table("person_attributes", schema=None) as batch_op:
        batch_op.drop_index("ix_person_attributes_definition")
    op.drop_table("person_attributes")
    op.drop_table("attribute_definitions")
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_person_identifiers_single_valued",
            sqlite_where=sa.text(SINGLE_VALUED_SQL),
            postgresql_where=sa.text(SINGLE_VALUED_SQL),
        )
