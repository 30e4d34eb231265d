"""Opening a SQLite connection waits for another connection's lock rather than
failing (a verification's workers open theirs while the service commits), and
waits off the event loop, which serves other requests meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from optledger.storage.database import Database
from optledger.storage.sql import Query


async def test_a_connection_opened_while_another_holds_the_lock_waits_for_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "optledger.db"
    # Another process's connection holding the database's lock, as during a
    # checkpoint, then letting it go.
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("CREATE TABLE held (id INTEGER)")
    release = threading.Timer(0.3, holder.close)
    release.start()
    database = Database(f"sqlite+aiosqlite:///{path}")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        count = await database.read(
            lambda connection: connection.fetchval(Query("SELECT count(*) FROM held"))
        )
    finally:
        ticker.cancel()
        release.join()
        await database.dispose()
    assert count == 0
    # The loop ran on through the 0.3 s the opening waited.
    assert ticks >= 5
