"""dashboard: each verification of a company's ledger and its outcome, records counted
by status as they change (kept by triggers), and the indexes that let every other
dashboard figure be one indexed read

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = optledger.storage.types.UTCDateTime(timezone=True)
# (table, index, columns): each turns a dashboard figure from a scan into a range read.
INDEXES = (
    # Opt-ins and opt-outs of a window (the figures and the chart).
    ("subscription_records", "ix_subscription_records_opt_in", ["company_id", "opt_in_date"]),
    ("subscription_records", "ix_subscription_records_opt_out", ["company_id", "opt_out_date"]),
    # Messages by status, and the oldest still queued.
    ("messages", "ix_messages_company_status", ["company_id", "status", "created_at"]),
)


# Concurrent writers of one company on PostgreSQL spread their increments over this
# many rows per (status, channel, type), by record id, so that they seldom wait on
# one another's row lock; SQLite has one writer and keeps one row (slot 0).
SLOTS = 64
_KEY = "company_id, status, channel, type, slot"
_PG_FUNCTION = f"""
CREATE FUNCTION optledger_count_subscriptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE subscription_counts SET n = n - 1
        WHERE company_id = OLD.company_id AND status = OLD.status AND channel = OLD.channel
            AND type = OLD.type AND slot = OLD.id % {SLOTS};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO subscription_counts ({_KEY}, n)
        VALUES (NEW.company_id, NEW.status, NEW.channel, NEW.type, NEW.id % {SLOTS}, 1)
        ON CONFLICT ({_KEY}) DO UPDATE SET n = subscription_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    """CREATE TRIGGER subscription_counts_write AFTER INSERT OR DELETE ON subscription_records
    FOR EACH ROW EXECUTE FUNCTION optledger_count_subscriptions()""",
    """CREATE TRIGGER subscription_counts_update AFTER UPDATE OF status ON subscription_records
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION optledger_count_subscriptions()""",
)
_SQLITE_LESS = """UPDATE subscription_counts SET n = n - 1 WHERE company_id = OLD.company_id
    AND status = OLD.status AND channel = OLD.channel AND type = OLD.type AND slot = 0;"""
_SQLITE_MORE = f"""INSERT INTO subscription_counts ({_KEY}, n)
    VALUES (NEW.company_id, NEW.status, NEW.channel, NEW.type, 0, 1)
    ON CONFLICT ({_KEY}) DO UPDATE SET n = n + 1;"""
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER subscription_counts_insert AFTER INSERT ON subscription_records
    BEGIN {_SQLITE_MORE} END""",
    f"""CREATE TRIGGER subscription_counts_delete AFTER DELETE ON subscription_records
    BEGIN {_SQLITE_LESS} END""",
    f"""CREATE TRIGGER subscription_counts_update AFTER UPDATE OF status ON subscription_records
    WHEN OLD.status IS NOT NEW.status BEGIN {_SQLITE_LESS} {_SQLITE_MORE} END""",
)
_BACKFILL = f"""INSERT INTO subscription_counts ({_KEY}, n)
    SELECT company_id, status, channel, type, {{slot}}, count(*) FROM subscription_records
    GROUP BY company_id, status, channel, type{{by_slot}}"""


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
    op.create_table(
        "subscription_counts",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "company_id", "status", "channel", "type", "slot", name=op.f("pk_subscription_counts")
        ),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_PG_FUNCTION)
    for trigger in _PG_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(trigger)
    slot = f"id % {SLOTS}" if postgresql else "0"
    op.execute(_BACKFILL.format(slot=slot, by_slot=f", {slot}" if postgresql else ""))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER subscription_counts_update ON subscription_records")
        op.execute("DROP TRIGGER subscription_counts_write ON subscription_records")
        op.execute("DROP FUNCTION optledger_count_subscriptions()")
    else:
        for action in ("update", "delete", "insert"):
            op.execute(f"DROP TRIGGER subscription_counts_{action}")
    op.drop_table("subscription_counts")
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_ledger_verifications_company", table_name="ledger_verifications")
    op.drop_table("ledger_verifications")
