"""The app's routes, through the routers included in one another."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def leaf_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route that answers requests itself (included routers add no prefix of
    their own to what their routes declare)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield route
        else:
            yield from leaf_routes(included.routes)


def is_routed(scope: Scope) -> bool:
    """Whether some route serves this request's path with its method (the router
    would answer 404 or 405 otherwise)."""
    return any(route.matches(scope)[0] is Match.FULL for route in leaf_routes(scope["app"].routes))


def allowed_methods(scope: Scope) -> str:
    """`Allow` for a request's path: the methods of every route serving it.

    A path's methods may live on several routes (GET and POST of
    `/v1/subscriptions`); the router's 405 names only the first one it tried.
    """
    methods: set[str] = set()
    for route in leaf_routes(scope["app"].routes):
        route_methods: set[str] | None = getattr(route, "methods", None)
        if route_methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route_methods
    return ", ".join(sorted(methods))
