"""import jobs: files uploaded in the console, run by the worker, and their refused rows

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import optledger.storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = optledger.storage.types.UTCDateTime(timezone=True)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("operator", sa.String(length=140), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("attribute_columns", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        _count("rows_done"),
        _count("imported"),
        _count("present"),
        _count("refused"),
        _count("checkpoint_line"),
        _count("attempts"),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_import_jobs_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["sign_up_units.id"], name=op.f("fk_import_jobs_unit_id_sign_up_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_company", "import_jobs", ["company_id", "id"])
    op.create_index("ix_import_jobs_state", "import_jobs", ["state", "id"])
    op.create_table(
        "import_refusals",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_refusals_job_id_import_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_import_refusals_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("job_id", "line", name=op.f("pk_import_refusals")),
    )


def downgrade() -> None:
    op.drop_table("import_refusals")
    op.drop_index("ix_import_jobs_state", table_name="import_jobs")
    op.drop_index("ix_import_jobs_company", table_name="import_jobs")
    op.drop_table("import_jobs")
