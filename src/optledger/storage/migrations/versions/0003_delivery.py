"""double opt-in, inbound SMS and delivery

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("status = 'PENDING'")


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_address", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column(
            "received_at", optledger.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_inbound_messages_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_messages_from", ["company_id", "from_address"], unique=False
        )

    op.create_table(
        "confirmation_blocks",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("contact_value", sa.String(length=320), nullable=False),
        sa.Column("created_at", optledger.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_confirmation_blocks_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["sign_up_units.id"],
            name=op.f("fk_confirmation_blocks_unit_id_sign_up_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_blocks")),
        sa.UniqueConstraint(
            "company_id",
            "unit_id",
            "contact_value",
            name=op.f("uq_confirmation_blocks_company_id_unit_id_contact_value"),
        ),
    )

    with op.batch_alter_table("subscription_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_records_pending",
            ["created_at"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_records", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_subscription_records_pending", sqlite_where=PENDING, postgresql_where=PENDING
        )
    op.drop_table("confirmation_blocks")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_from")
    op.drop_table("inbound_messages")
