"""The OpenAPI document and the routes agree, and each dialect has its own tags."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import httpx
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from optledger.app import create_app
from optledger.settings import Settings

# Each dialect's routes carry its own tags, by path prefix.
DIALECT_TAGS = {
    "/v1/messages": {"Messages"},
    "/v1/": {"Subscribers", "Me", "User Attributes", "Custom Attributes", "Identity",
             "Privacy Request"},
    "/v2/": {"User Properties"},
    "/1/": {"Legacy"},
    "/inbound/": {"Inbound SMS"},
    "/companies/": {"Vibes subscriptions", "Vibes lists", "Vibes persons", "Vibes campaigns"},
}  # fmt: skip


def documented() -> dict[tuple[str, str], list[str]]:
    spec = create_app(Settings(run_worker_in_process=False)).openapi()
    return {
        (method.upper(), path): operation.get("tags", [])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, through the routers included in one another (none adds a
    prefix of its own to what its children declare)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None:
            yield from api_routes(included.routes)


def served() -> set[tuple[str, str]]:
    app = create_app(Settings(run_worker_in_process=False))
    return {
        (method, route.path)
        for route in api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods - {"HEAD"}
    }


def test_every_route_is_documented_and_every_documented_route_is_served() -> None:
    assert set(documented()) == served()


def test_each_dialect_has_its_own_tags() -> None:
    for (method, path), tags in documented().items():
        prefix = next(p for p in DIALECT_TAGS if path.startswith(p))
        assert tags, (method, path)
        assert set(tags) <= DIALECT_TAGS[prefix], (method, path, tags)


async def test_documented_routes_answer_and_are_not_missing(
    app_client: httpx.AsyncClient,
) -> None:
    for method, path in documented():
        url = path.replace("{company_key}", "nobody").replace("{", "").replace("}", "")
        response = await app_client.request(method, url)
        # Unauthenticated, each answers in its own way (401, 403, 400...), never with
        # the router's "no such route".
        assert (
            response.status_code not in (404, 405)
            or "errors" in response.json()
            or (response.json()["error"]["message"] != "Not Found")
        ), (method, url, response.text)
