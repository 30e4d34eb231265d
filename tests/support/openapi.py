"""The routes the OpenAPI document lists, and every route the app serves: what the
route matrices walk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from optledger.app import create_app
from optledger.settings import Settings


def documented() -> dict[tuple[str, str], list[str]]:
    """Each documented route, as (method, path), with its tags."""
    spec = create_app(Settings(run_worker_in_process=False)).openapi()
    return {
        (method.upper(), path): operation.get("tags", [])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def api_routes(routes: Sequence[BaseRoute], outer: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with the path it is served at, through the routers included in
    one another: a route's own path holds its router's prefix, and each inclusion adds
    the prefix it was included under (`outer`, all of them above it)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield outer + route.path, route
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            prefix = context.prefix if context is not None else ""
            yield from api_routes(included.routes, outer + prefix)
