"""A real webhook receiver on 127.0.0.1 that keeps raw bodies and headers, so tests
verify signatures the way an integration would.

It runs uvicorn in a thread of the test process; a worker in a subprocess reaches
it over TCP. It can answer planned statuses, answer slowly, and go down and come
back on the same port.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook

from tests.support.sink import ServerThread, read_body


@dataclass(frozen=True)
class Received:
    """One request the receiver answered, and how."""

    path: str
    method: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]


def verify(received: Received, signing_key: str, *, attentive: bool = True) -> Any:
    """Check both signatures as receivers do; returns the payload, or raises."""
    secret = "whsec_" + base64.b64encode(signing_key.encode()).decode()
    payload = Webhook(secret).verify(received.body, received.headers)
    if attentive:
        expected = hmac.new(signing_key.encode(), received.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(received.headers["x-attentive-hmac-sha256"], expected)
    return payload


@dataclass
class Receiver:
    """Answers 200 unless told otherwise: `planned` statuses first, after `delay`."""

    delay: float = 0.0
    planned: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ServerThread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        self._server = ServerThread(self._app, self.port).start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Go down: connections are refused until `start` again (same port)."""
        assert self._server is not None
        self._server.stop()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = await read_body(receive)
        with self._lock:
            status = self.planned.pop(0) if self.planned else 200
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.received.append(
                Received(scope["path"], scope["method"], headers, body, status, time.time())
            )
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def delivered(self) -> list[Received]:
        """The requests answered 2xx, in arrival order."""
        with self._lock:
            return [r for r in self.received if r.status < 300]

    def all(self) -> list[Received]:
        with self._lock:
            return list(self.received)
