"""Whether this process can serve: the database answers at the latest migration."""

from __future__ import annotations

import sqlite3
from functools import cache

import asyncpg

from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.migrate import head_revision
from optledger.storage.sql import Query

SCHEMA_REVISION = Query("SELECT version_num FROM alembic_version")


@cache
def _expected_revision() -> str:
    return head_revision()


async def readiness_problem(database: Database) -> str | None:
    """None when ready, else why not (for `/readyz` and operators)."""
    try:
        revision = await database.read(lambda connection: connection.fetchval(SCHEMA_REVISION))
    except DatabaseUnavailable:
        return "the database is unreachable"
    except (sqlite3.Error, asyncpg.PostgresError) as exc:
        # An unmigrated database has no alembic_version table.
        return f"the database schema cannot be read: {exc.__class__.__name__}"
    expected = _expected_revision()
    if revision != expected:
        return f"the database schema is at {revision or 'nothing'}, this release needs {expected}"
    return None
