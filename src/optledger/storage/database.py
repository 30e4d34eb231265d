"""The database handle: pooled driver connections, one unit of work per command.

Units of work run on `storage.sql` connections straight over asyncpg or sqlite3;
SQLAlchemy is kept for the schema (tables, Alembic) and for `inspect`, the
ORM view of stored rows that tests and tools use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from optledger.storage.sql import Connection, PostgresConnection, SqliteConnection

log = logging.getLogger(__name__)

T = TypeVar("T")

# Commits that queued messages NOTIFY this channel (see `storage.repositories.outbox`).
OUTBOX_CHANNEL = "optledger_outbox"
# Commits that queued webhook deliveries NOTIFY this one (a trigger, migration 0009).
WEBHOOKS_CHANNEL = "optledger_webhooks"

# How often a unit of work is replayed when it lost a race (a unique constraint hit
# by a concurrent insert, a serialization failure, a busy SQLite file) or its
# pooled connection turned out to be closed.
MAX_ATTEMPTS = 8
# How long a writer waits for another process's SQLite write lock.
SQLITE_LOCK_WAIT_SECONDS = 30.0


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, so a fresh machine just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the request may be retried later."""


class LostRace(Exception):
    """A unit of work collided with a concurrent one and should be replayed."""


def _is_lost_race(exc: BaseException) -> bool:
    if isinstance(
        exc,
        asyncpg.UniqueViolationError
        | asyncpg.SerializationError
        | asyncpg.DeadlockDetectedError
        | LostRace,
    ):
        return True
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        return "database is locked" in str(exc)
    return False


def _is_connection_lost(exc: BaseException) -> bool:
    return isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | ConnectionError
        | OSError
        | TimeoutError,
    ) or (isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc))


def _open_sqlite(path: str, *, busy_ms: int) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA busy_timeout={busy_ms}")
    raw.execute("PRAGMA foreign_keys=ON")
    # An acknowledged opt-out must survive a power loss, not just a crash.
    raw.execute("PRAGMA synchronous=FULL")
    return raw


class _SqliteStore:
    """One writer connection behind a lock, one reader; commits leave the event loop."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self.committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        self._writer: SqliteConnection | None = None
        self._reader: SqliteConnection | None = None

    def writer(self) -> SqliteConnection:
        if self._writer is None:
            # Busy waits happen in `begin`, asynchronously, never blocking the loop.
            self._writer = SqliteConnection(_open_sqlite(self.path, busy_ms=0))
        return self._writer

    def reader(self) -> SqliteConnection:
        if self._reader is None:
            self._reader = SqliteConnection(_open_sqlite(self.path, busy_ms=1000))
        return self._reader

    async def begin(self, connection: SqliteConnection) -> None:
        """BEGIN IMMEDIATE: take the write lock up front, waiting for other processes.

        A deferred transaction that reads then writes can fail to upgrade its lock.
        """
        deadline = asyncio.get_running_loop().time() + SQLITE_LOCK_WAIT_SECONDS
        delay = 0.001
        while True:
            try:
                connection.raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def commit(self, connection: SqliteConnection) -> None:
        # The fsync of synchronous=FULL takes milliseconds: not on the event loop.
        await asyncio.get_running_loop().run_in_executor(
            self.committer, connection.raw.execute, "COMMIT"
        )

    def close(self) -> None:
        for connection in (self._writer, self._reader):
            if connection is not None:
                connection.raw.close()
        self._writer = self._reader = None
        self.committer.shutdown(wait=True)


async def _reset_connection(connection: Any) -> None:
    """Return a pooled connection as it was: roll back a transaction left open, if any.

    asyncpg's default reset costs a round trip on every release; nothing here
    sets session state, listens or locks on a pooled connection.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class Database:
    """Pooled connections to one database URL; writes and reads go through `run`/`read`."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = url
        self.pool_size = pool_size
        # Set after a commit that queued messages: wakes in-process outbox workers.
        self.outbox_written = asyncio.Event()
        # The same for webhook deliveries.
        self.webhooks_written = asyncio.Event()
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._sqlite: _SqliteStore | None = None
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._orm_engine: AsyncEngine | None = None
        if self.is_sqlite:
            ensure_sqlite_folder(url)
            self._sqlite = _SqliteStore(str(parsed.database))

    def connect_args(self) -> dict[str, Any]:
        """asyncpg connection arguments for this URL."""
        parsed = make_url(self.url)
        return {
            "host": parsed.host,
            "port": parsed.port,
            "user": parsed.username,
            "password": parsed.password,
            "database": parsed.database,
        }

    async def _postgres_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    try:
                        self._pool = await asyncpg.create_pool(
                            min_size=1,
                            max_size=self.pool_size,
                            reset=_reset_connection,
                            **self.connect_args(),
                        )
                    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                        raise DatabaseUnavailable(str(exc)) from exc
        return self._pool

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        connection: Connection
        if self._sqlite is not None:
            store = self._sqlite
            async with store.lock:
                writer = store.writer()
                writer.scope = self.url
                writer.outbox_written = writer.webhooks_written = False
                await store.begin(writer)
                try:
                    yield writer
                    await store.commit(writer)
                except BaseException:
                    if writer.raw.in_transaction:
                        writer.raw.execute("ROLLBACK")
                    raise
                connection = writer
        else:
            pool = await self._postgres_pool()
            async with pool.acquire() as raw:
                connection = PostgresConnection(raw, self.url)
                transaction = raw.transaction()
                await transaction.start()
                try:
                    yield connection
                except BaseException:
                    if not raw.is_closed():
                        await transaction.rollback()
                    raise
                await transaction.commit()
        if connection.outbox_written:
            self.outbox_written.set()
        if connection.webhooks_written:
            self.webhooks_written.set()

    def _sqlite_reader(self) -> SqliteConnection:
        assert self._sqlite is not None
        reader = self._sqlite.reader()
        reader.scope = self.url
        return reader

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """One connection held for a long read outside any transaction (each statement
        stands alone); not retried, unlike `read`."""
        if self._sqlite is not None:
            yield self._sqlite_reader()
            return
        pool = self._pool or await self._postgres_pool()
        async with pool.acquire() as raw:
            yield PostgresConnection(raw, self.url)

    async def run(
        self, command: Callable[[Connection], Awaitable[T]], *, one_write: bool = False
    ) -> T:
        """Run `command` in one write transaction, replaying it if it lost a race.

        Commands keep their side effects inside the transaction (the outbox is a
        table), so a replay after a rollback is safe. With `one_write`, the command
        promises that it writes in at most one statement, which checks what the
        command read: on PostgreSQL it then runs without BEGIN/COMMIT (a statement
        is atomic on its own), saving two round trips.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                if one_write and self._sqlite is None:
                    return await self._run_one_write(command)
                async with self.transaction() as connection:
                    return await command(connection)
            except Exception as exc:
                if _is_connection_lost(exc):
                    if attempt >= 2:
                        raise DatabaseUnavailable(str(exc)) from exc
                elif not _is_lost_race(exc) or attempt == MAX_ATTEMPTS:
                    raise
                log.debug("replaying unit of work after %r (attempt %d)", exc, attempt)
                await asyncio.sleep(0.002 * attempt)
        raise AssertionError("unreachable")

    async def _run_one_write(self, command: Callable[[Connection], Awaitable[T]]) -> T:
        pool = self._pool or await self._postgres_pool()
        async with pool.acquire() as raw:
            connection = PostgresConnection(raw, self.url)
            result = await command(connection)
        if connection.outbox_written:
            self.outbox_written.set()
        if connection.webhooks_written:
            self.webhooks_written.set()
        return result

    async def read(self, query: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `query` outside a transaction; a closed pooled connection is retried once."""
        for attempt in (1, 2):
            try:
                if self._sqlite is not None:
                    return await query(self._sqlite_reader())
                pool = self._pool or await self._postgres_pool()
                async with pool.acquire() as raw:
                    return await query(PostgresConnection(raw, self.url))
            except Exception as exc:
                if not _is_connection_lost(exc):
                    raise
                if attempt == 2:
                    raise DatabaseUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")

    async def listen(
        self, channel: str, callback: Callable[[], None]
    ) -> Callable[[], Awaitable[None]]:
        """Call `callback` on each NOTIFY on `channel` (PostgreSQL); returns a closer."""
        if self.is_sqlite:

            async def nothing() -> None:
                return None

            return nothing
        listener = await asyncpg.connect(**self.connect_args())
        await listener.add_listener(channel, lambda *_args: callback())

        async def close() -> None:
            with contextlib.suppress(Exception):
                await listener.close()

        return close

    @contextlib.asynccontextmanager
    async def inspect_session(self) -> AsyncIterator[AsyncSession]:
        """An ORM session in one transaction, for tests and tools that look at rows."""
        if self._orm_engine is None:
            self._orm_engine = create_async_engine(self.url, pool_size=2)
        async with (
            AsyncSession(self._orm_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    async def inspect(self, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `query` on an ORM session (tests and tools; the product uses repositories)."""
        async with self.inspect_session() as session:
            return await query(session)

    async def dispose(self) -> None:
        """Close every connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = _SqliteStore(self._sqlite.path)
        if self._orm_engine is not None:
            await self._orm_engine.dispose()
            self._orm_engine = None
