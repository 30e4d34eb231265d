"""`Idempotency-Key`: a retried POST, PUT, PATCH or DELETE gets the first answer again.

The first request with a key (per credential) reserves it and runs; its answer is
kept for a day. A retry with the same key and the same request gets that answer
(status, content type and body) without running again, so no second event,
message or webhook. The same key with a different request is 422; a retry while
the first still runs waits for its answer. Answers that a retry should not repeat
(5xx, 401, 403, 429) are not kept: the key is freed and a retry runs anew. A
request that no route serves (404, 405) never touches its key. Kept answers are
sealed (`sealed_answers`): encrypted with a key only the request's credential
opens, since they carry secrets shown once and people's contact points.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.storage.clock import utcnow
from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.repositories.idempotency import (
    ANSWER_LIFETIME,
    KeptAnswer,
    keep_answer,
    kept_answer,
    release_key,
    reserve_key,
)
from optledger.web.errors import error_response, unavailable_response
from optledger.web.routing import is_routed
from optledger.web.sealed_answers import AnswerSeal, answer_seal

HEADER = b"idempotency-key"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
# A reservation this old without an answer belongs to a process that died.
ABANDONED_AFTER = timedelta(minutes=2)
# How long a retry waits for the first request with its key to answer.
WAIT_SECONDS = 30.0
NOT_KEPT = frozenset({401, 403, 429})


def _digest(*parts: bytes) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(len(part).to_bytes(8, "big"))
        hashed.update(part)
    return hashed.hexdigest()


class IdempotencyKeys:
    """ASGI middleware: runs a keyed write once and replays its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER)
        # Keys are per credential: a request without one is refused by its route
        # anyway (or, on the Twilio route, deduplicated by the provider's id).
        # A request no route serves is answered 404 or 405 by the router: its key is
        # not recorded, so the same key on the right path or method still runs.
        if key is None or b"authorization" not in headers or not is_routed(scope):
            await self.app(scope, receive, send)
            return
        if (
            not 1 <= len(key) <= MAX_KEY_LENGTH
            or not key.isascii()
            or not key.decode().isprintable()
        ):
            await error_response(
                scope, 400, "INVALID", "Idempotency-Key must be 1 to 255 printable ASCII characters"
            )(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        caller = _digest(headers[b"authorization"])
        request_hash = _digest(
            scope["method"].encode(), scope["path"].encode(), scope["query_string"], body
        )
        database: Database = scope["app"].state.database
        try:
            seal = await answer_seal(scope, headers[b"authorization"])
            kept = _Keyed(database, seal, caller, key.decode(), request_hash)
            await self._answer(scope, send, kept, body)
        except DatabaseUnavailable:
            await unavailable_response(scope)(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, kept: _Keyed, body: bytes) -> None:
        # Twice: a key freed while this request waited on it is reserved anew.
        for _ in range(2):
            held = await kept.reserve()
            if not isinstance(held, KeptAnswer):
                await self._run_once(scope, send, kept, held, body)
                return
            if held.request_hash != kept.request_hash:
                await _send(
                    scope, send, error_response(
                        scope, 422, "IDEMPOTENCY_KEY_REUSED",
                        "this Idempotency-Key was used with a different request",
                    ),
                )  # fmt: skip
                return
            answer = await kept.wait_for_answer(held)
            if answer is not None and answer.status is not None:
                opened = kept.open(answer)
                if opened is None:
                    # Not sealed by this release (kept by an older process during a
                    # rolling upgrade) or altered: as good as expired.
                    await kept.release(answer.id)
                    continue
                replayed = Response(
                    opened, status_code=answer.status, media_type=answer.content_type
                )
                replayed.headers["idempotent-replayed"] = "true"
                await _send(scope, send, replayed)
                return
            if answer is not None:
                break
        await _send(
            scope, send, error_response(
                scope, 409, "IDEMPOTENCY_KEY_IN_USE",
                "a request with this Idempotency-Key is still running; retry later",
            ),
        )  # fmt: skip

    async def _run_once(
        self, scope: Scope, send: Send, kept: _Keyed, reservation: int, body: bytes
    ) -> None:
        started: Message | None = None
        chunks: list[bytes] = []

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await kept.release(reservation)
            raise
        status = started["status"] if started is not None else 500
        if status >= 500 or status in NOT_KEPT:
            await kept.release(reservation)
            return
        content_type = dict(started["headers"] if started else []).get(b"content-type")
        await kept.keep(
            reservation,
            status,
            content_type.decode("latin-1") if content_type else None,
            b"".join(chunks),
        )


@dataclass(frozen=True)
class _Keyed:
    """One keyed request: whose it is, what it asks, and where its answer is kept."""

    database: Database
    seal: AnswerSeal
    caller: str
    key: str
    request_hash: str

    @property
    def bound_to(self) -> bytes:
        """What a sealed answer is bound to: this key and this request."""
        return f"{self.key}\n{self.request_hash}".encode()

    async def reserve(self) -> int | KeptAnswer:
        """A new reservation of the key, or what it already holds."""
        now = utcnow()
        return await self.database.run(
            lambda connection: reserve_key(
                connection,
                caller=self.caller,
                key=self.key,
                request_hash=self.request_hash,
                now=now,
                expired_before=now - ANSWER_LIFETIME,
                abandoned_before=now - ABANDONED_AFTER,
            )
        )

    def open(self, answer: KeptAnswer) -> bytes | None:
        """The kept answer's body, or None when it does not open under this key."""
        return self.seal.open(answer.body or b"", self.bound_to)

    async def keep(
        self, reservation: int, status: int, content_type: str | None, body: bytes
    ) -> None:
        """Keep the answer, sealed, for retries to get."""
        sealed = self.seal.seal(body, self.bound_to)
        await self.database.run(
            lambda connection: keep_answer(connection, reservation, status, content_type, sealed),
            one_write=True,
        )

    async def release(self, reservation: int) -> None:
        """Free the key: a retry runs anew."""
        await self.database.run(
            lambda connection: release_key(connection, reservation), one_write=True
        )

    async def wait_for_answer(self, held: KeptAnswer) -> KeptAnswer | None:
        """What the key holds once its first request answered (or the wait ran out);
        None if that request freed it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        answer: KeptAnswer | None = held
        delay = 0.01
        while answer is not None and answer.status is None and loop.time() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)
            answer = await self.database.read(
                lambda connection: kept_answer(connection, caller=self.caller, key=self.key)
            )
        return answer


async def _send(scope: Scope, send: Send, response: Response) -> None:
    await response(scope, _no_more_body, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client went away."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _no_more_body() -> Message:
    return {"type": "http.disconnect"}
