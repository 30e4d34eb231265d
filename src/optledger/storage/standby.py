"""Reads that decide nothing, served by a standby when one answers.

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

    def __init__(self, address: PostgresAddress, pool_size: int, scope: str) -> None:
        self.address = address
        self.pool_size = pool_size
        # The same scope as the primary: per-process caches hold the same database.
        self.scope = scope
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

    async def pool(self) -> asyncpg.Pool | None:
        """The standby pool, or None while it is being skipped."""
        if time.monotonic() < self._skip_until:
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
