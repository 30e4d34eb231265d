"""LISTEN on a connection of its own that follows the primary across failovers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from optledger.storage.urls import PostgresAddress

log = logging.getLogger(__name__)

# How long to wait before connecting again after the listening connection was lost.
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0)
# A host that vanished without closing its sockets shows only when asked.
PING_EVERY_SECONDS = 15.0
PING_TIMEOUT_SECONDS = 5.0


class NotificationListener:
    """Calls `callback` on each NOTIFY on `channel`, reconnecting when the link drops.

    Notifications sent while no connection listened are lost, so each reconnection
    also calls `callback` once: the listeners poll for what they may have missed.
    """

    def __init__(
        self, address: PostgresAddress, channel: str, callback: Callable[[], None]
    ) -> None:
        self.address = address
        self.channel = channel
        self.callback = callback
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None

    async def start(self) -> None:
        """Listen now if the database answers, and keep listening (connecting again
        and again while it does not: a process started during an outage listens once
        it is over)."""
        try:
            lost = await self._connect()
        except Exception as exc:
            log.warning("cannot listen on %s yet: %r; retrying", self.channel, exc)
            lost = asyncio.Event()
            lost.set()
        self._task = asyncio.create_task(self._keep_listening(lost))

    async def _connect(self) -> asyncio.Event:
        connection = await self.address.connect()
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(self.channel, lambda *_args: self.callback())
        except BaseException:
            connection.terminate()
            raise
        self._connection = connection
        return lost

    async def _keep_listening(self, lost: asyncio.Event) -> None:
        while True:
            await self._until_lost(lost)
            if self._connection is not None:
                log.warning("lost the connection listening on %s; reconnecting", self.channel)
            attempt = 0
            while True:
                await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                try:
                    lost = await self._connect()
                    break
                except Exception as exc:
                    log.debug("listening on %s again failed: %r", self.channel, exc)
                    attempt += 1
            log.info("listening on %s again", self.channel)
            self.callback()

    async def _until_lost(self, lost: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), PING_EVERY_SECONDS)
                return
            assert self._connection is not None
            try:
                await self._connection.execute("SELECT 1", timeout=PING_TIMEOUT_SECONDS)
            except Exception:
                self._connection.terminate()
                return

    async def close(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
