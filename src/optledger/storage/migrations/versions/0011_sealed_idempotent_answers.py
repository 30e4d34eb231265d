"""idempotent_answers: forget the answers kept in plain text

Answers kept for idempotency keys are sealed from this release on. Those kept
before it held secrets shown once (signing keys, credentials' tokens) in plain
text: they are deleted, not left to expire in a day. Going back deletes the
sealed ones, which an older release would replay as they are stored.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotent_answers")


def downgrade() -> None:
    op.execute("DELETE FROM idempotent_answers")
