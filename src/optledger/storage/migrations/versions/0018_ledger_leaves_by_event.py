"""ledger leaves by event: verifying reads a company's leaves by event id, a chunk of
ids at a time; without this index SQLite sorts every leaf of the company per chunk

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_leaves_company_event", "ledger_leaves", ["company_id", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_leaves_company_event", table_name="ledger_leaves")
