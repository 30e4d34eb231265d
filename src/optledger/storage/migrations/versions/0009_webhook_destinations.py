"""webhook destinations: the HTTP method and content type, a list filter, a time window

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIME = optledger.storage.types.UTCDateTime(timezone=True)

# On PostgreSQL a queued delivery wakes the webhook workers of every process on
# commit (`storage.outbox`); identical notifications in one transaction are sent once.
NOTIFY_FUNCTION = """
CREATE FUNCTION optledger_webhooks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('optledger_webhooks', '');
    RETURN NULL;
END
$$
"""
NOTIFY_TRIGGER = """
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
FOR EACH ROW EXECUTE FUNCTION optledger_webhooks_notify()
"""


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(
            sa.Column("method", sa.String(length=8), nullable=False, server_default="POST")
        )
        batch.add_column(
            sa.Column(
                "content_type",
                sa.String(length=100),
                nullable=False,
                server_default="application/json",
            )
        )
        batch.add_column(
            sa.Column(
                "list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch.add_column(sa.Column("starts_at", TIME, nullable=True))
        batch.add_column(sa.Column("ends_at", TIME, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER webhook_deliveries_notify ON webhook_deliveries")
        op.execute("DROP FUNCTION optledger_webhooks_notify()")
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("ends_at")
        batch.drop_column("starts_at")
        batch.drop_column("list_id")
        batch.drop_column("content_type")
        batch.drop_column("method")
