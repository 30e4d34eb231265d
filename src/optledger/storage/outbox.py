"""Waking outbox workers as soon as a transaction that queued messages commits.

Workers poll as a fallback; this only shortens the wait. In the same process the
database handle's event wakes them; across processes on PostgreSQL a NOTIFY sent
inside the committing transaction does (PostgreSQL delivers it only on commit, so a
rolled-back message never wakes anyone).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from optledger.storage.database import OUTBOX_CHANNEL, WEBHOOKS_CHANNEL, Database


@contextlib.asynccontextmanager
async def outbox_notifications(database: Database) -> AsyncIterator[None]:
    """While open, NOTIFYs from other processes set `database.outbox_written` and
    `database.webhooks_written`.

    Only PostgreSQL has them; on SQLite this does nothing and workers rely on the
    in-process event and polling.
    """
    close_outbox = await database.listen(OUTBOX_CHANNEL, database.outbox_written.set)
    close_webhooks = await database.listen(WEBHOOKS_CHANNEL, database.webhooks_written.set)
    try:
        yield
    finally:
        await close_outbox()
        await close_webhooks()
