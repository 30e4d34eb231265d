"""Statistics for tables that fill up on a fresh database, before autovacuum looks.

On a new PostgreSQL database the tables start empty. Until autovacuum's first
ANALYZE of a table (up to a minute after it fills, `autovacuum_naptime`), the
planner believes it is tiny, and the plans that connections cache for prepared
statements scan it. A fresh install then serves its hot paths at half speed for
its first minute. So `serve` looks every few seconds, for its first quarter of an
hour, for tables never analysed that have taken enough rows, and analyses them; an
ANALYZE also invalidates the plans cached on them, so every connection replans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.sql import Connection, Query

log = logging.getLogger(__name__)

NEVER_ANALYSED = Query(
    """SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema() AND last_analyze IS NULL
      AND last_autoanalyze IS NULL AND n_mod_since_analyze >= :rows
    ORDER BY relname"""
)
# Enough rows for an index to beat a scan, few enough to be reached in seconds.
ROWS = 1000
EVERY_SECONDS = 2.0
# By then autovacuum has looked at every table at least once.
FOR_SECONDS = 15 * 60.0


async def analyse_filled_tables(connection: Connection, rows: int = ROWS) -> list[str]:
    """ANALYZE each table never analysed that has taken `rows` rows; returns their names."""
    names = [row[0] for row in await connection.fetch(NEVER_ANALYSED, {"rows": rows})]
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        await connection.execute(Query(f"ANALYZE {quoted}"))
    return names


async def analyse_while_fresh(database: Database, stop: asyncio.Event) -> None:
    """Analyse filling tables every few seconds until `stop` or `FOR_SECONDS` pass."""
    if database.is_sqlite:
        return
    ends = time.monotonic() + FOR_SECONDS
    while time.monotonic() < ends:
        try:
            analysed = await database.read(analyse_filled_tables)
        except (DatabaseUnavailable, asyncpg.PostgresError) as exc:
            log.debug("first analysis skipped: %r", exc)
        else:
            if analysed:
                log.info("analysed newly filled tables: %s", ", ".join(analysed))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY_SECONDS)
            return
