"""Whether this process can serve: the database answers at the latest migration."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cache

import asyncpg

from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.migrate import head_revision
from optledger.storage.sql import Query

SCHEMA_REVISION = Query("SELECT version_num FROM alembic_version")
IN_RECOVERY = Query("SELECT pg_is_in_recovery()")


@dataclass(frozen=True)
class Readiness:
    """Why the process cannot serve (None when it can), and what it reaches.

    `role` is the role of the database writes go to: `primary`, or `embedded` for
    SQLite. `read_role` is where reads that may use a standby go now: `standby`,
    `primary` (the read URL found only a primary, or not every standby is synchronous),
    `unavailable`, or None without a read URL.
    """

    problem: str | None
    role: str | None = None
    read_role: str | None = None


async def _schema_problem(database: Database) -> str | None:
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


@cache
def _expected_revision() -> str:
    return head_revision()


async def _read_role(database: Database) -> str | None:
    if database.standby is None:
        return None
    if not await database.standby.synchronous():
        return "primary"
    pool = await database.standby.pool()
    if pool is None:
        return "unavailable"
    try:
        async with pool.acquire() as raw:
            in_recovery = await raw.fetchval(IN_RECOVERY.text)
    except Exception:
        return "unavailable"
    return "standby" if in_recovery else "primary"


async def readiness(database: Database) -> Readiness:
    """Whether the process can serve, and the roles of the databases it reaches."""
    problem = await _schema_problem(database)
    if problem is not None:
        return Readiness(problem)
    if database.is_sqlite:
        return Readiness(None, "embedded")
    try:
        in_recovery = await database.read(lambda connection: connection.fetchval(IN_RECOVERY))
    except DatabaseUnavailable:
        return Readiness("the database is unreachable")
    if in_recovery:
        # Only a URL asking for `any` host lands here: every write would fail.
        return Readiness("the database URL reaches a standby, which refuses writes", "standby")
    return Readiness(None, "primary", await _read_role(database))
