"""Read-only snapshots of the database, and sharing one between connections.

A snapshot is a read-only transaction that sees the database as of its start. On
PostgreSQL it is REPEATABLE READ, and `export_snapshot` names it so that other
connections, in other processes, can read the very same state (`SET TRANSACTION
SNAPSHOT`). SQLite has no such thing: its read transactions each see the last commit
when they start, so readers in parts bound what they read by ids taken in the first
(see `core.ledger.parts`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

from optledger.storage.sql import Connection, Query

BEGIN_SNAPSHOT = Query("BEGIN", postgresql="BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
END_SNAPSHOT = Query("COMMIT")
EXPORT_SNAPSHOT = Query("SELECT pg_export_snapshot()")
# The form of PostgreSQL's snapshot names ("00000003-0000001B-1"): SET TRANSACTION
# SNAPSHOT takes no parameter, so the name is checked before it is written in.
_SNAPSHOT_NAME = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


@contextlib.asynccontextmanager
async def snapshot(connection: Connection, shared: str | None = None) -> AsyncIterator[None]:
    """Read everything inside in one read-only snapshot of the database: the one
    another connection exported as `shared`, when given (PostgreSQL only)."""
    await connection.execute(BEGIN_SNAPSHOT)
    try:
        if shared is not None:
            if connection.is_sqlite or not _SNAPSHOT_NAME.fullmatch(shared):
                raise ValueError(f"not a snapshot to share: {shared!r}")
            await connection.execute(Query(f"SET TRANSACTION SNAPSHOT '{shared}'"))
        yield
    finally:
        await connection.execute(END_SNAPSHOT)


async def export_snapshot(connection: Connection) -> str | None:
    """The name other connections can read this connection's snapshot by, while it
    lasts; None on SQLite, which cannot share one."""
    if connection.is_sqlite:
        return None
    return str(await connection.fetchval(EXPORT_SNAPSHOT))
