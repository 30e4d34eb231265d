"""One metrics observation and one log line per HTTP request.

An ASGI middleware, outside the lanes (which answer hot reads before FastAPI
routes them) and inside the request ids. Requests are named by their route
template, never by their path or query: those carry phone numbers and ids.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.observability.logs import Unmasked
from optledger.observability.metrics import observe_request
from optledger.observability.request_ids import current_request_id
from optledger.web.lanes import LaneRoute
from optledger.web.routing import leaf_routes

log = logging.getLogger("optledger.requests")

UNMATCHED = "unmatched"


@dataclass
class _Facts:
    """What the request's handling learns that its line reports."""

    company_key: str | None = None


_current_facts: contextvars.ContextVar[_Facts | None] = contextvars.ContextVar(
    "request_facts", default=None
)


def note_company(company_key: str) -> None:
    """Name the company whose credential the current request presented."""
    facts = _current_facts.get()
    if facts is not None:
        facts.company_key = company_key


def route_template(scope: Scope, lanes: Sequence[LaneRoute] = (), root_path: str = "") -> str:
    """The template of the route that answered this request, or "unmatched".

    `root_path` is the scope's before routing (a mount moves it past its prefix).
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Lanes answer before routing; each stands in for one route (a path the lane
    # stepped aside from would have been routed).
    lane = next((lane.template for lane in lanes if lane.matches(scope["path"])), None)
    return lane or _mounted_template({**scope, "root_path": root_path})


def _mounted_template(scope: Scope) -> str:
    """The template of the mount (static files) serving the path, or "unmatched"."""
    return next(
        (
            f"{route.path}/{{path}}"
            for route in leaf_routes(scope["app"].routes)
            if isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL
        ),
        UNMATCHED,
    )


class ObserveRequests:
    """ASGI middleware: counts and times each request and writes its log line."""

    def __init__(self, app: ASGIApp, lanes: Sequence[LaneRoute] = ()) -> None:
        self.app = app
        self.lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        # An exception that escapes becomes the framework's 500 further out.
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        facts = _Facts()
        token = _current_facts.set(facts)
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _current_facts.reset(token)
            seconds = time.perf_counter() - started
            route = route_template(scope, self.lanes, root_path)
            observe_request(route, scope["method"], status, seconds)
            if log.isEnabledFor(logging.INFO):
                _log_request(scope["method"], route, status, seconds, facts)


def _log_request(method: str, route: str, status: int, seconds: float, facts: _Facts) -> None:
    request_id = current_request_id.get()
    latency_ms = round(seconds * 1000, 2)
    # The route is a template and the key a checked identifier: neither names anyone.
    template, company_key = Unmasked(route), facts.company_key
    key = Unmasked(company_key) if company_key else None
    log.info(
        "%s %s %d %.2fms request=%s%s",
        method,
        template,
        status,
        latency_ms,
        request_id,
        Unmasked(f" company={company_key}" if company_key else ""),
        extra={
            "request_id": request_id,
            "company_key": key,
            "route": template,
            "method": method,
            "status": status,
            "latency_ms": latency_ms,
        },
    )
