"""Lanes past the framework for the hottest reads.

A hot read is one indexed statement; routing, dependency injection and response
models around it cost more than the database does. A lane answers such a request
itself when it is the common case: a credential this process has already
authenticated (the principal cache) and plain parameters. Anything else (a
credential not yet seen, a missing scope, odd parameters, a database error) steps
aside to the FastAPI route, which answers the same request in full and is where
the route is documented. Tests hold each lane to its route's answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from optledger.core.errors import OptledgerError
from optledger.storage.database import Database
from optledger.web.errors import STATUS_BY_KIND, error_response
from optledger.web.principal_cache import PrincipalCache


@dataclass(frozen=True)
class LaneRequest:
    """What a lane sees of a request, once the app has started."""

    scope: Scope
    cache: PrincipalCache
    database: Database

    def header(self, name: bytes) -> bytes:
        """One request header, or empty."""
        value: bytes = dict(self.scope["headers"]).get(name, b"")
        return value


# None: step aside to the framework's route.
Lane = Callable[[LaneRequest], Awaitable[Response | None]]


@dataclass(frozen=True)
class LaneRoute:
    """A GET path a lane may answer, the lane, and the template of the route it
    answers for (which names its requests in metrics and logs)."""

    matches: Callable[[str], bool]
    lane: Lane
    template: str


class Lanes:
    """ASGI middleware: tries the lanes of hot GETs, passes everything else on."""

    def __init__(self, app: ASGIApp, routes: Sequence[LaneRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            route = next((r for r in self.routes if r.matches(scope["path"])), None)
            if route is not None:
                response = await self._answer(route.lane, scope)
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(lane: Lane, scope: Scope) -> Response | None:
        state = scope["app"].state
        cache: PrincipalCache | None = getattr(state, "principal_cache", None)
        database: Database | None = getattr(state, "database", None)
        if cache is None or database is None:
            return None
        try:
            return await lane(LaneRequest(scope, cache, database))
        except OptledgerError as exc:
            return error_response(scope, STATUS_BY_KIND[exc.kind], exc.code, exc.message)
        except Exception:
            # The framework's route meets the same failure and reports it properly
            # (503 for an unreachable database, a logged 500 otherwise).
            return None
