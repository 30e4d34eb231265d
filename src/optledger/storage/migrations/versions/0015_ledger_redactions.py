"""ledger redactions: events whose personal content a privacy erasure removed, with the
leaf hashes of their content before and after, and an index of each person's events

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_redactions",
        sa.Column("event_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("privacy_request_id", ID, nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("redacted_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ledger_redactions_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["privacy_request_id"],
            ["privacy_requests.id"],
            name=op.f("fk_ledger_redactions_privacy_request_id_privacy_requests"),
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_ledger_redactions")),
    )
    with op.batch_alter_table("events") as batch:
        batch.create_index("ix_events_person", ["company_id", "person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_person")
    op.drop_table("ledger_redactions")
