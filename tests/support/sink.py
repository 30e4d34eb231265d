"""Real servers on 127.0.0.1 that stand in for providers: an HTTP sink and an SMTP server.

Both run in threads of the process that starts them, so subprocess workers reach
them over TCP and the starting process reads what arrived.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Delivery:
    """One POST the sink answered 2xx: its Idempotency-Key header, JSON body and arrival time."""

    key: str
    payload: dict[str, Any]
    at: float


async def read_body(receive: Any) -> bytes:
    """The whole body of an ASGI HTTP request."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


class ServerThread:
    """uvicorn serving an ASGI app from a thread of this process, on 127.0.0.1:`port`
    (0: any free port; a port given again after `stop` serves there again).
    `lifespan="on"` runs the app's startup and shutdown in the thread's own loop."""

    def __init__(self, app: Any, port: int = 0, lifespan: str = "off") -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        self.port: int = listener.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan=lifespan, interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@dataclass
class HttpSink:
    """A webhook receiver: records JSON posts, optionally slowly or with planned failures."""

    delay: float = 0.0
    planned_statuses: list[int] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ServerThread(self._app)
        self.url = f"http://127.0.0.1:{self._server.port}/messages"

    def start(self) -> HttpSink:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = await read_body(receive)
        # The answer is decided on arrival: a slow request a timed-out client left
        # behind must not take a status planned for a later test.
        with self._lock:
            status = self.planned_statuses.pop(0) if self.planned_statuses else 200
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.requests += 1
            if status < 300:
                payload = json.loads(body)
                self.received.append(
                    Delivery(headers.get("idempotency-key", ""), payload, time.perf_counter())
                )
        answer = json.dumps({"id": f"sink-{self.requests}"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    def to(self, address: str, company_key: str) -> list[dict[str, Any]]:
        """The payloads one company delivered to one phone or address, in arrival order."""
        with self._lock:
            return [
                d.payload
                for d in self.received
                if d.payload["to"] == address and d.payload["company_key"] == company_key
            ]

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.received)


class _Mailbox:
    def __init__(self) -> None:
        self.emails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        email = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.emails.append(email)
        return "250 OK"


class SmtpSink:
    """An SMTP server (aiosmtpd) that keeps every email it is sent."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mailbox = _Mailbox()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Any]:
        """Emails whose To header is `address`."""
        return [email for email in self.mailbox.emails if email["To"] == address]
