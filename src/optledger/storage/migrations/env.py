"""Alembic environment: runs on a connection handed over by `optledger.storage.migrate`."""

from __future__ import annotations

from alembic import context

from optledger.storage.tables import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `optledger migrate`, which supplies the connection")
run_migrations(connection)
