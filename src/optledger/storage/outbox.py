"""Waking outbox workers as soon as a transaction that queued messages commits.

Workers poll as a fallback; this only shortens the wait. In the same process the
database handle's event wakes them; across processes on PostgreSQL a NOTIFY sent
inside the committing transaction does (PostgreSQL delivers it only on commit, so a
rolled-back message never wakes anyone).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from optledger.storage.database import OUTBOX_CHANNEL, OUTBOX_WRITTEN, Database


def mark_outbox_written(session: AsyncSession) -> None:
    """Note that this unit of work queued messages, so its commit wakes the workers."""
    session.info[OUTBOX_WRITTEN] = True


@contextlib.asynccontextmanager
async def outbox_notifications(database: Database) -> AsyncIterator[None]:
    """While open, NOTIFYs from other processes set `database.outbox_written`.

    Only PostgreSQL has them; on SQLite this does nothing and workers rely on the
    in-process event and polling.
    """
    if database.is_sqlite:
        yield
        return
    async with database.write_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        listener = raw.driver_connection

        def wake(*_args: Any) -> None:
            database.outbox_written.set()

        await listener.add_listener(OUTBOX_CHANNEL, wake)  # type: ignore[union-attr]
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(OUTBOX_CHANNEL, wake)  # type: ignore[union-attr]
