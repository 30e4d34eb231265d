"""Refuses request bodies over the configured size before any handler reads them, and
bodies that take too long to arrive: a slow client cannot hold a request open."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.web.errors import error_response


class BodySizeLimit:
    """ASGI middleware: 413 in the dialect's error shape for oversized bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            await self._refuse(scope, receive, send)
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
                        await self._refuse(scope, receive, send)
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

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            scope, 413, "BODY_TOO_LARGE", f"request body is over {self.max_bytes} bytes"
        )
        await response(scope, receive, send)
