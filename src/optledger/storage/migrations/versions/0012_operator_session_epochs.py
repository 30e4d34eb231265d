"""operator session epochs: console sessions that end at sign-out

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("session_epoch", sa.String(length=64), nullable=True))
    # Each operator an epoch of their own: sessions signed before it were stateless
    # and named none, so every one of them ends here.
    operators = sa.table("operators", sa.column("id"), sa.column("session_epoch"))
    bind = op.get_bind()
    for (operator_id,) in bind.execute(sa.select(operators.c.id)):
        bind.execute(
            operators.update()
            .where(operators.c.id == operator_id)
            .values(session_epoch=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("operators") as batch:
        batch.alter_column("session_epoch", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("session_epoch")
