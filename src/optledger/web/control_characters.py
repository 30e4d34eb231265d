"""Control characters in a request: the dialect's 400, before any route or lane reads it.

One check for every dialect (`core.text` says which characters): the path, query
and header values may hold no C0 control nor DEL; a JSON body's strings and keys
no C0 control but tab and line breaks. PostgreSQL text holds no NUL, so one that
reached a statement was a 500 there while SQLite stored it; refused here, both
answer alike and nothing is written. Identifiers and names, which take no tab nor
line break either, are checked where the core reads them.

Form bodies pass: the console's forms drop NUL as they are read, and an inbound
text is the carrier's (see `core.inbound`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.core.text import CONTROL, CONTROL_IN_FREE_TEXT, control_message
from optledger.web.errors import error_response

# Header values may hold tab (obs-fold aside, HTTP allows nothing else below 0x20).
_CONTROL_IN_HEADER = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# A percent-escaped C0 control or DEL in a query string.
_ESCAPED_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])")
# In JSON text, a control reaches a string only as an escape (`\u0000`, `\b`, `\f`)
# preceded by an even number of backslashes; a lone surrogate (`\ud800`) only so
# too. A raw NUL byte is no UTF-8 JSON at all (json.loads would take it as UTF-16).
_SUSPECT_JSON = re.compile(
    rb"\x00|(?<!\\)(?:\\\\)*\\(?:u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|[bf]|u[dD][89a-fA-F])"
)
_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def _refusal(scope: Scope, where: str) -> Response:
    return error_response(scope, 400, "INVALID", control_message(where))


def _is_form(scope: Scope) -> bool:
    content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
    return content_type.lower().startswith(_FORMS)


def _in_request_line(scope: Scope) -> str | None:
    """Where the path, the query or a header holds a control character, if anywhere."""
    if CONTROL.search(scope["path"]):
        return "the path"
    query: bytes = scope["query_string"]
    if _ESCAPED_CONTROL.search(query):
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        return next(
            (f"query parameter {name}" for name, value in pairs if CONTROL.search(name + value)),
            "the query",
        )
    for name, value in scope["headers"]:
        if _CONTROL_IN_HEADER.search(value):
            return f"header {name.decode('latin-1')}"
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield path, name
            yield from _strings(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _unstorable(text: str) -> bool:
    if CONTROL_IN_FREE_TEXT.search(text):
        return True
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8, so no PostgreSQL text
        return True
    return False


def _in_json(body: bytes) -> str | None:
    """Where a JSON body holds a string no field may (the body when it is no UTF-8
    JSON); None when it holds none, or is not JSON at all (the route says so)."""
    if not _SUSPECT_JSON.search(body):
        return None
    if b"\x00" in body:
        return "the body"
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return next(
        (path or "the body" for path, text in _strings(parsed, "") if _unstorable(text)), None
    )


class ControlCharactersInRequestLine:
    """ASGI middleware: 400 for a control character in the path, query or headers.

    Outside the lanes, which answer hot reads from the path and query themselves.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (where := _in_request_line(scope)) is not None:
            await _refusal(scope, where)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ControlCharactersInBody:
    """ASGI middleware: 400 for a control character in a JSON body.

    Inside the body size limit, which has read the body whole (and bounded it).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_form(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        more = True
        while more:
            message = await receive()
            messages.append(message)
            more = message["type"] == "http.request" and message.get("more_body", False)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if (where := _in_json(body)) is not None:
            await _refusal(scope, where)(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
