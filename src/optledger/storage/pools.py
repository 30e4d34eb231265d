"""asyncpg pools as the product uses them: no session state, a bounded connect."""

from __future__ import annotations

from typing import Any

import asyncpg

from optledger.storage.failures import DatabaseUnavailable
from optledger.storage.urls import PostgresAddress


async def _reset_connection(connection: Any) -> None:
    """Return a pooled connection as it was: roll back a transaction left open, if any.

    asyncpg's default reset costs a round trip on every release; nothing here
    sets session state, listens or locks on a pooled connection.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def create_postgres_pool(address: PostgresAddress, size: int) -> asyncpg.Pool:
    """A pool of connections to the host of `address` that fits its session attributes."""
    try:
        return await asyncpg.create_pool(
            connect=address.connect,
            # No floor kept: during a failover asyncpg would log a traceback each
            # time it failed to restore one; connections open as units of work need them.
            min_size=0,
            max_size=size,
            reset=_reset_connection,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        raise DatabaseUnavailable(f"{address.describe}: {exc}") from exc
