"""Reads that decide nothing, served by a standby when one answers.

Only while every standby streaming from the primary is synchronous: opt-outs wait
for synchronous standbys to apply them (`remote_apply`), not for the others, so a
standby outside the synchronous set (a replica added asynchronously, or one that
Patroni took out of it while it reconnects and catches up) could still answer
"eligible" after an opt-out. The primary's `pg_stat_replication` says which are
synchronous; it is asked at most every `SYNC_CHECK_SECONDS`.

A standby that fails (down, not accepting connections, a query cancelled by a
recovery conflict) is skipped for `RETRY_STANDBY_AFTER_SECONDS`, and the read goes
to the primary meanwhile: callers see the primary's answer, never the standby's
trouble. `optledger_reads_total{served_by}` counts where reads went.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from optledger.observability.metrics import count_read
from optledger.storage.failures import DatabaseUnavailable, is_connection_lost
from optledger.storage.pools import create_postgres_pool
from optledger.storage.sql import Connection, PostgresConnection
from optledger.storage.urls import PostgresAddress

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STANDBY_AFTER_SECONDS = 5.0
SYNC_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Replication:
    """What the primary says of the standbys connected to it."""

    standbys: int
    synchronous: int
    # Rows whose state this database user may not see (it needs pg_monitor).
    hidden: int

    @property
    def all_synchronous(self) -> bool:
        """Whether standby reads can trust every standby to have applied each opt-out."""
        return self.standbys > 0 and self.synchronous == self.standbys


def _standby_failed(exc: BaseException) -> bool:
    # A query cancelled for a conflict with recovery is SQLSTATE 40001 on a standby;
    # a standby yet to replay a migration lacks its tables, columns or functions.
    return is_connection_lost(exc) or isinstance(
        exc,
        DatabaseUnavailable
        | asyncpg.SerializationError
        | asyncpg.PostgresConnectionError
        | asyncpg.UndefinedTableError
        | asyncpg.UndefinedColumnError
        | asyncpg.UndefinedFunctionError,
    )


class StandbyReads:
    """A pool to the read URL's hosts, and when to stop trying it for a while."""

    def __init__(
        self,
        address: PostgresAddress,
        pool_size: int,
        scope: str,
        replication: Callable[[], Awaitable[Replication]],
    ) -> None:
        self.address = address
        self.replication = replication
        self._synchronous = False
        self._checked_at = -SYNC_CHECK_SECONDS
        self._warned_hidden = False
        self.pool_size = pool_size
        # A scope of its own: a lagging standby's rows (a company's catalog, say) never
        # replace the primary's in the per-process caches.
        self.scope = f"{scope}#standby"
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._skip_until = 0.0

    async def _skip_for_a_while(self, exc: BaseException) -> None:
        if time.monotonic() >= self._skip_until:
            log.warning(
                "standby reads go to the primary for %.0f s: %s",
                RETRY_STANDBY_AFTER_SECONDS,
                exc.__class__.__name__,
            )
        self._skip_until = time.monotonic() + RETRY_STANDBY_AFTER_SECONDS
        if self._pool is not None:
            await self._pool.expire_connections()

    async def synchronous(self) -> bool:
        """Whether every standby of the primary is synchronous (asked now and then)."""
        if time.monotonic() - self._checked_at >= SYNC_CHECK_SECONDS:
            self._checked_at = time.monotonic()
            try:
                found = await self.replication()
            except DatabaseUnavailable:
                found = Replication(0, 0, 0)
            if found.hidden and not self._warned_hidden:
                self._warned_hidden = True
                log.warning(
                    "standby reads stay on the primary: this database user cannot see which "
                    "standbys are synchronous (grant it pg_monitor)"
                )
            self._synchronous = found.all_synchronous
        return self._synchronous

    async def pool(self) -> asyncpg.Pool | None:
        """The standby pool, or None while it is being skipped or may be stale."""
        if time.monotonic() < self._skip_until or not await self.synchronous():
            return None
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    try:
                        self._pool = await create_postgres_pool(self.address, self.pool_size)
                    except DatabaseUnavailable as exc:
                        await self._skip_for_a_while(exc)
                        return None
        return self._pool

    async def acquire(self) -> tuple[asyncpg.Pool, asyncpg.Connection] | None:
        """A standby connection held for a long read, or None to use the primary."""
        pool = await self.pool()
        if pool is None:
            return None
        try:
            return pool, await pool.acquire()
        except Exception as exc:
            if not _standby_failed(exc):
                raise
            await self._skip_for_a_while(exc)
            return None

    async def try_read(self, query: Callable[[Connection], Awaitable[T]]) -> tuple[bool, T | None]:
        """(True, result) when a standby answered; (False, None) to read the primary."""
        pool = await self.pool()
        if pool is not None:
            try:
                async with pool.acquire() as raw:
                    result = await query(PostgresConnection(raw, self.scope))
            except Exception as exc:
                if not _standby_failed(exc):
                    # The standby answered, with a domain error (an unknown subscriber).
                    count_read("standby")
                    raise
                await self._skip_for_a_while(exc)
            else:
                count_read("standby")
                return True, result
        count_read("primary")
        return False, None

    async def close(self) -> None:
        """Close the standby pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
