"""ledger: each sealed event's leaf hash, the signed seals of each company's tree, and
an index of each company's events in order

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = optledger.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_leaves",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ledger_leaves_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "leaf_index", name=op.f("pk_ledger_leaves")),
        sa.UniqueConstraint("event_id", name=op.f("uq_ledger_leaves_event_id")),
    )
    op.create_table(
        "ledger_seals",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("previous_head_hash", sa.String(length=64), nullable=True),
        sa.Column("through_event_id", sa.BigInteger(), nullable=False),
        sa.Column("sealed_at", TIME, nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ledger_seals_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_seals")),
        sa.UniqueConstraint(
            "company_id", "tree_size", name=op.f("uq_ledger_seals_company_id_tree_size")
        ),
    )
    with op.batch_alter_table("events") as batch:
        batch.create_index("ix_events_company_order", ["company_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_company_order")
    op.drop_table("ledger_seals")
    op.drop_table("ledger_leaves")
