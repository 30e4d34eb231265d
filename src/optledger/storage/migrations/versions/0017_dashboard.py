"""dashboard: each verification of a company's ledger and its outcome, and the indexes
that let every dashboard figure be one indexed read

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = optledger.storage.types.UTCDateTime(timezone=True)
# (table, index, columns): each turns a dashboard figure from a scan into a range read.
INDEXES = (
    # Active, pending and expired by channel and type: an index-only count.
    (
        "subscription_records",
        "ix_subscription_records_status",
        ["company_id", "status", "channel", "type"],
    ),
    # Opt-ins and opt-outs of a window (the figures and the chart).
    ("subscription_records", "ix_subscription_records_opt_in", ["company_id", "opt_in_date"]),
    ("subscription_records", "ix_subscription_records_opt_out", ["company_id", "opt_out_date"]),
    # Messages by status, and the oldest still queued.
    ("messages", "ix_messages_company_status", ["company_id", "status", "created_at"]),
)


def upgrade() -> None:
    op.create_table(
        "ledger_verifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("verified_at", TIME, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("sealed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ledger_verifications_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_verifications")),
    )
    op.create_index("ix_ledger_verifications_company", "ledger_verifications", ["company_id", "id"])
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_ledger_verifications_company", table_name="ledger_verifications")
    op.drop_table("ledger_verifications")
