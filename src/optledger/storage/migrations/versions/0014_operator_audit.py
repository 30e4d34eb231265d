"""operator audit: an append-only trail of operators' changes and sign-ins

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = optledger.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "operator_audit",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=True),
        sa.Column("actor", sa.String(length=140), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_operator_audit_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_audit")),
    )
    op.create_index("ix_operator_audit_company", "operator_audit", ["company_id", "id"])
    op.create_index("ix_operator_audit_actor", "operator_audit", ["actor", "id"])
    op.create_index(
        "ix_operator_audit_object", "operator_audit", ["object_type", "object_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_operator_audit_object", table_name="operator_audit")
    op.drop_index("ix_operator_audit_actor", table_name="operator_audit")
    op.drop_index("ix_operator_audit_company", table_name="operator_audit")
    op.drop_table("operator_audit")
