"""The database handle: engines, one unit of work per command, retries on races."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

log = logging.getLogger(__name__)

T = TypeVar("T")

# A unit of work that queued messages carries this flag in `session.info`; its commit
# wakes the outbox workers (NOTIFY on this channel for other processes).
OUTBOX_WRITTEN = "outbox_written"
OUTBOX_CHANNEL = "optledger_outbox"

# How often a unit of work is replayed when it lost a race (a unique constraint hit
# by a concurrent insert, a serialization failure, a busy SQLite file).
MAX_ATTEMPTS = 8


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, so a fresh machine just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the request may be retried later."""


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    """Let SQLAlchemy, not pysqlite, open transactions, and open writers as IMMEDIATE.

    A deferred transaction that reads and then writes can fail to upgrade its lock
    when another writer got there first; BEGIN IMMEDIATE takes the write lock up
    front, so concurrent writers queue on the busy timeout instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc.orig).lower()
    return any(
        marker in text
        for marker in ("database is locked", "could not serialize", "deadlock detected")
    )


class Database:
    """Engines for one database URL; writes and reads go through `run`/`read`."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        # Set after a commit that queued messages: wakes in-process outbox workers.
        self.outbox_written = asyncio.Event()
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            ensure_sqlite_folder(url)
            # One writer connection: SQLite has one write lock anyway, and queueing in
            # the pool is cheaper than spinning on the busy timeout.
            self.write_engine = create_async_engine(url, pool_size=1, max_overflow=0)
            self.read_engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)
            _configure_sqlite(self.write_engine, immediate=True)
            _configure_sqlite(self.read_engine, immediate=False)
        else:
            self.write_engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.read_engine = self.write_engine

    @asynccontextmanager
    async def session(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        engine = self.read_engine if read_only else self.write_engine
        wrote_outbox = False
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
                yield session
                if session.info.get(OUTBOX_WRITTEN):
                    wrote_outbox = True
                    if not self.is_sqlite:
                        # Delivered to listening workers only if this transaction commits.
                        await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        except (TimeoutError, OSError, ConnectionError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        except OperationalError as exc:
            if "unable to open" in str(exc.orig).lower() or "connect" in str(exc.orig).lower():
                raise DatabaseUnavailable(str(exc.orig)) from exc
            raise
        if wrote_outbox:
            self.outbox_written.set()

    async def run(self, command: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `command` in one write transaction, replaying it if it lost a race.

        Commands must keep their side effects inside the session (the outbox is a
        table), so a replay after a rollback is safe.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self.session() as session:
                    return await command(session)
            except DBAPIError as exc:
                if attempt == MAX_ATTEMPTS or not _is_retryable(exc):
                    raise
                log.debug("replaying unit of work after %s (attempt %d)", exc.orig, attempt)
                await asyncio.sleep(0.002 * attempt)
        raise AssertionError("unreachable")

    async def read(self, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `query` in a read-only transaction."""
        async with self.session(read_only=True) as session:
            return await query(session)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
