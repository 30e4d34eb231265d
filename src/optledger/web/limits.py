"""Refuses request bodies over the configured size before any handler reads them, and
bodies that take too long to arrive: a slow client cannot hold a request open.

A few routes take a file of any size up to their own limit (the console's import
upload): their bodies are not read here but streamed through to the route, each
piece within the read timeout and the whole within the route's limit (past it,
reading raises `BodyRefused`, which the route answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.web.errors import error_response


class BodyRefused(Exception):
    """A streamed body went past its route's limit, or stalled; `status` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BodySizeLimit:
    """ASGI middleware: 413 in the dialect's error shape for oversized bodies."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        read_timeout: float = 30.0,
        streamed: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout
        # (method, path) -> the most that route's body may hold, streamed to it.
        self.streamed = dict(streamed or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        streamed = self.streamed.get((scope["method"], scope["path"]))
        if streamed is not None:
            await self._stream(scope, receive, send, streamed)
            return
        if _declared(scope) > self.max_bytes:
            await self._refuse(scope, receive, send, self.max_bytes)
            return
        # Read the body here (bounded) so a chunked upload cannot exceed the limit.
        chunks: list[bytes] = []
        size = 0
        more = True
        try:
            async with asyncio.timeout(self.read_timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await self._refuse(scope, receive, send, self.max_bytes)
                        return
                    chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            response = error_response(
                scope,
                408,
                "BODY_TIMEOUT",
                f"request body not received within {self.read_timeout:g} s",
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Hand the body to the route as it comes, bounded in size and pace."""
        if _declared(scope) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        size = 0

        async def bounded() -> Message:
            nonlocal size
            try:
                async with asyncio.timeout(self.read_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyRefused(408, f"the upload stalled for {self.read_timeout:g} s") from None
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyRefused(413, f"request body is over {limit} bytes")
            return message

        await self.app(scope, bounded, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            scope, 413, "BODY_TOO_LARGE", f"request body is over {limit} bytes"
        )
        await response(scope, receive, send)


def _declared(scope: Scope) -> int:
    """The body's declared length (0 when none is declared, or not a number)."""
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is not None and declared.isascii() and declared.isdigit():
        return int(declared)
    return 0
