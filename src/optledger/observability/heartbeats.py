"""Worker heartbeats, and the warning of a server whose messages nobody sends.

On PostgreSQL `serve` sends no messages itself; if no `optledger worker` runs,
double opt-in prompts wait in the outbox unnoticed. Every worker process keeps a
heartbeat row fresh, and such a server checks once a minute, with one statement,
whether messages wait while no heartbeat is recent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta

from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories import heartbeats

log = logging.getLogger(__name__)

BEAT_SECONDS = 10.0
# Six missed beats: a worker busy with a slow batch is not yet taken for dead.
ALIVE_WITHIN = timedelta(seconds=60)
CHECK_SECONDS = 60.0
# Rows of workers that died without removing their own.
FORGET_AFTER = timedelta(days=1)


def worker_alive(last_heartbeat_at: datetime | None, now: datetime) -> bool:
    """Whether some worker's latest heartbeat is recent enough to count it alive."""
    return last_heartbeat_at is not None and now - last_heartbeat_at < ALIVE_WITHIN


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless `stop` is set first; returns whether it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def keep_heartbeat(
    database: Database, stop: asyncio.Event, every: float = BEAT_SECONDS
) -> None:
    """Keep this process's heartbeat fresh until `stop`, then remove it."""
    # Host names may be longer than the column; the pid keeps the id apart anyway.
    worker_id = f"{socket.gethostname()[:180]}:{os.getpid()}"
    try:
        await database.run(
            lambda connection: heartbeats.forget_seen_before(connection, utcnow() - FORGET_AFTER)
        )
    except Exception as exc:
        log.warning("could not clear old worker heartbeats: %r", exc)
    while True:
        try:
            await database.run(
                lambda connection: heartbeats.beat(connection, worker_id, utcnow()),
                one_write=True,
            )
        except Exception as exc:
            # The delivery loops report the database themselves; keep beating.
            log.warning("worker heartbeat not written: %r", exc)
        if await _wait(stop, every):
            break
    with contextlib.suppress(Exception):
        await database.run(lambda connection: heartbeats.forget(connection, worker_id))


async def warn_if_no_worker(database: Database, now: datetime | None = None) -> bool:
    """Warn if messages wait while no worker was seen recently; returns whether it did."""
    state = await database.read(heartbeats.delivery_state)
    now = now or utcnow()
    if not state.queued or worker_alive(state.last_heartbeat_at, now):
        return False
    seen = (
        f"the last worker heartbeat was {state.last_heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
        if state.last_heartbeat_at
        else "no worker has ever sent a heartbeat"
    )
    log.warning(
        "%d messages wait in the outbox and no worker is running (%s): run `optledger worker`",
        state.queued,
        seen,
    )
    return True


async def watch_for_workers(
    database: Database, stop: asyncio.Event, every: float = CHECK_SECONDS
) -> None:
    """Until `stop`, check every `every` seconds that some worker sends the outbox."""
    while not await _wait(stop, every):
        try:
            await warn_if_no_worker(database)
        except Exception as exc:
            # An unreachable database is `/readyz`'s to report, not this warning's.
            log.debug("could not check for workers: %r", exc)
