"""subscription records by company: verifying replays a company's records a page of
ids at a time; without this index a page reads past every other company's records

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_subscription_records_company_order", "subscription_records", ["company_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_records_company_order", table_name="subscription_records")
