"""one inbound message per provider id

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHERE = sa.text("provider_message_id IS NOT NULL")


def upgrade() -> None:
    # Keep the first of any message a provider already delivered twice.
    op.execute(
        """DELETE FROM inbound_messages WHERE provider_message_id IS NOT NULL AND id NOT IN (
            SELECT MIN(id) FROM inbound_messages WHERE provider_message_id IS NOT NULL
            GROUP BY company_id, provider, provider_message_id)"""
    )
    with op.batch_alter_table("inbound_messages") as batch:
        batch.create_index(
            "uq_inbound_messages_provider_id",
            ["company_id", "provider", "provider_message_id"],
            unique=True,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_index(
            "uq_inbound_messages_provider_id", sqlite_where=WHERE, postgresql_where=WHERE
        )
