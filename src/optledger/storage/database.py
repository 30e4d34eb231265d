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
from typing import TYPE_CHECKING, TypeVar, cast

import asyncpg

from optledger.storage.failures import (
    DatabaseUnavailable as DatabaseUnavailable,
)
from optledger.storage.failures import (
    LostRace as LostRace,
)
from optledger.storage.failures import (
    is_connection_lost,
    is_demoted,
    is_lost_race,
)
from optledger.storage.listener import NotificationListener
from optledger.storage.pools import create_postgres_pool
from optledger.storage.sql import Connection, PostgresConnection, Query, SqliteConnection
from optledger.storage.standby import Replication, StandbyReads
from optledger.storage.urls import (
    PostgresAddress,
    create_engine,
    is_sqlite_url,
    parse_postgres_url,
    sqlite_path,
)

if TYPE_CHECKING:
    # Loaded only by `inspect`: the rest of the product (and verification's workers)
    # start without SQLAlchemy.
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

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


# The standbys connected to the primary, and which of them stream synchronously (one
# still catching up, or taking a base backup, is not).
REPLICATION = Query(
    """SELECT count(*) AS standbys,
        count(*) FILTER (WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum'))
            AS synchronous,
        count(*) FILTER (WHERE sync_state IS NULL) AS hidden
    FROM pg_stat_replication"""
)
# Commits an opt-out with: acknowledged only once the synchronous standbys have
# applied it, so no standby still answers "eligible" (one round trip with COMMIT).
COMMIT_APPLIED_ON_STANDBYS = "SET LOCAL synchronous_commit TO remote_apply; COMMIT"


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, so a fresh machine just works."""
    if is_sqlite_url(url) and (path := sqlite_path(url)) is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


# How long opening a connection waits for another's lock: reading the journal mode
# waits while another connection checkpoints or recovers the WAL. With no wait, a
# verification's worker opened during a commit's checkpoint failed ("database is
# locked"). A connection is opened once and kept, so only its first use can wait.
OPEN_BUSY_SECONDS = 5.0


def _open_sqlite(path: str, *, busy_ms: int) -> sqlite3.Connection:
    raw = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=OPEN_BUSY_SECONDS
    )
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    # Then as the caller asks: the writer's none, as it waits in `begin`, without
    # blocking the event loop.
    raw.execute(f"PRAGMA busy_timeout={busy_ms}")
    raw.execute("PRAGMA foreign_keys=ON")
    # An acknowledged opt-out must survive a power loss, not just a crash.
    raw.execute("PRAGMA synchronous=FULL")
    return raw


async def _open_sqlite_off_the_loop(path: str, *, busy_ms: int) -> SqliteConnection:
    # Opening may wait up to `OPEN_BUSY_SECONDS` for another connection's lock.
    return SqliteConnection(await asyncio.to_thread(_open_sqlite, path, busy_ms=busy_ms))


class _SqliteStore:
    """One writer connection behind a lock, one reader; commits leave the event loop."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self.opening = asyncio.Lock()
        self.committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        self._writer: SqliteConnection | None = None
        self._reader: SqliteConnection | None = None

    async def writer(self) -> SqliteConnection:
        """The writer connection; the caller holds `lock`."""
        if self._writer is None:
            # Busy waits for the write lock happen in `begin`, without blocking the loop.
            self._writer = await _open_sqlite_off_the_loop(self.path, busy_ms=0)
        return self._writer

    async def reader(self) -> SqliteConnection:
        """The reader connection."""
        if self._reader is None:
            async with self.opening:
                if self._reader is None:
                    self._reader = await _open_sqlite_off_the_loop(self.path, busy_ms=1000)
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


class Database:
    """Pooled connections to one database URL; writes and reads go through `run`/`read`.

    On PostgreSQL, `read_url` names standbys that reads which decide nothing may
    use (`read(..., standby=True)`); they fall back to the primary.
    """

    def __init__(self, url: str, *, pool_size: int = 20, read_url: str | None = None) -> None:
        self.url = url
        self.pool_size = pool_size
        # Set after a commit that queued messages: wakes in-process outbox workers.
        self.outbox_written = asyncio.Event()
        # The same for webhook deliveries.
        self.webhooks_written = asyncio.Event()
        self.is_sqlite = is_sqlite_url(url)
        self._sqlite: _SqliteStore | None = None
        self._address: PostgresAddress | None = None
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._orm_engine: AsyncEngine | None = None
        self.standby: StandbyReads | None = None
        if self.is_sqlite:
            ensure_sqlite_folder(url)
            self._sqlite = _SqliteStore(str(sqlite_path(url)))
        else:
            self._address = parse_postgres_url(url)
            if read_url:
                self.standby = StandbyReads(
                    parse_postgres_url(read_url, role="read"), pool_size, url, self._replication
                )

    @property
    def address(self) -> PostgresAddress:
        """Where the primary is (PostgreSQL only)."""
        assert self._address is not None, "SQLite has no server address"
        return self._address

    async def _replication(self) -> Replication:
        row = await self.read(lambda connection: connection.fetchrow(REPLICATION))
        assert row is not None
        return Replication(row["standbys"], row["synchronous"], row["hidden"])

    async def _postgres_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    self._pool = await create_postgres_pool(self.address, self.pool_size)
        return self._pool

    async def _forget_primary(self) -> None:
        """Drop pooled connections: the primary moved (a failover), connect afresh."""
        if self._pool is not None:
            await self._pool.expire_connections()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        connection: Connection
        if self._sqlite is not None:
            store = self._sqlite
            async with store.lock:
                writer = await store.writer()
                writer.scope = self.url
                writer.outbox_written = writer.webhooks_written = False
                writer.lessens_eligibility = False
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
                await raw.execute("BEGIN")
                try:
                    yield connection
                except BaseException:
                    if not raw.is_closed() and raw.is_in_transaction():
                        await raw.execute("ROLLBACK")
                    raise
                await raw.execute(
                    COMMIT_APPLIED_ON_STANDBYS if connection.lessens_eligibility else "COMMIT"
                )
        if connection.outbox_written:
            self.outbox_written.set()
        if connection.webhooks_written:
            self.webhooks_written.set()

    async def _sqlite_reader(self) -> SqliteConnection:
        assert self._sqlite is not None
        reader = await self._sqlite.reader()
        reader.scope = self.url
        return reader

    @contextlib.asynccontextmanager
    async def connection(self, *, standby: bool = False) -> AsyncIterator[Connection]:
        """One connection held for a long read outside any transaction (each statement
        stands alone); not retried, unlike `read`. With `standby`, a standby's if one
        answers."""
        if self._sqlite is not None:
            yield await self._sqlite_reader()
            return
        if standby and self.standby is not None:
            acquired = await self.standby.acquire()
            if acquired is not None:
                pool, raw = acquired
                try:
                    yield PostgresConnection(raw, self.standby.scope)
                finally:
                    await pool.release(raw)
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

        A connection lost, or a write refused by a server that became a standby,
        is replayed once on a fresh connection to whichever host is primary now;
        then the database is unavailable (503) until a primary answers.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                if one_write and self._sqlite is None:
                    return await self._run_one_write(command)
                async with self.transaction() as connection:
                    return await command(connection)
            except Exception as exc:
                if is_connection_lost(exc) or is_demoted(exc):
                    await self._forget_primary()
                    if attempt >= 2:
                        raise DatabaseUnavailable(str(exc)) from exc
                elif not is_lost_race(exc) or attempt == MAX_ATTEMPTS:
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

    async def read(
        self, query: Callable[[Connection], Awaitable[T]], *, standby: bool = False
    ) -> T:
        """Run `query` outside a transaction; a closed pooled connection is retried once.

        With `standby`, the query decides nothing and may read a standby (when a read
        URL is set); a standby that fails is skipped for a while and the query runs
        on the primary, so the caller never sees the standby's trouble.
        """
        if standby and self.standby is not None:
            answered, result = await self.standby.try_read(query)
            if answered:
                return cast(T, result)
        for attempt in (1, 2):
            try:
                if self._sqlite is not None:
                    return await query(await self._sqlite_reader())
                pool = self._pool or await self._postgres_pool()
                async with pool.acquire() as raw:
                    return await query(PostgresConnection(raw, self.url))
            except Exception as exc:
                if not is_connection_lost(exc):
                    raise
                await self._forget_primary()
                if attempt == 2:
                    raise DatabaseUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")

    async def listen(
        self, channel: str, callback: Callable[[], None]
    ) -> Callable[[], Awaitable[None]]:
        """Call `callback` on each NOTIFY on `channel` (PostgreSQL); returns a closer.

        The listening connection follows the primary: when it is lost (a restart, a
        failover) it is opened again, and `callback` runs once, as notifications
        sent meanwhile were missed.
        """
        if self.is_sqlite:

            async def nothing() -> None:
                return None

            return nothing
        listener = NotificationListener(self.address, channel, callback)
        await listener.start()
        return listener.close

    @contextlib.asynccontextmanager
    async def inspect_session(self) -> AsyncIterator[AsyncSession]:
        """An ORM session in one transaction, for tests and tools that look at rows."""
        from sqlalchemy.ext.asyncio import AsyncSession

        if self._orm_engine is None:
            self._orm_engine = create_engine(self.url)
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
        if self.standby is not None:
            await self.standby.close()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = _SqliteStore(self._sqlite.path)
        if self._orm_engine is not None:
            await self._orm_engine.dispose()
            self._orm_engine = None
