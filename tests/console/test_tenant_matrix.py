"""Every console route, against another company's objects: an operator of company A
fills each route with company B's ids (and, where a path names several, with B's id in
one place and A's in the others) and is refused, sees nothing of B, and changes
nothing of B's. The same paths filled with A's own ids answer, so the filling is right.

The routes come from the app itself: a console route added without a row here fails
`test_every_console_route_has_a_tenant_case`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import TEST_SECRET, make_tenant
from tests.support.console_forms import csrf_of
from tests.support.console_world import (
    CSV,
    EVENTS,
    FILLED,
    STYLES,
    CompanyWorld,
    build_world,
    company_rows,
    signed_in_client,
)
from tests.support.openapi import api_routes

Fields = Callable[[str], dict[str, Any]]


def no_fields(style: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class IdRoute:
    """A console route that names objects in its path, and what another company's
    ids get: the status, and for a POST the plausible form it carries."""

    method: str
    path: str
    refused: int = 404
    fields: Fields = no_fields
    # The answer when only this id is B's and the others A's, where it is not `refused`.
    alone: dict[str, int] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """The path's parameters that are ids (the webhook style is not)."""
        return [name for name in re.findall(r"{(\w+)}", self.path) if name != "style"]


def unit_form(style: str) -> dict[str, Any]:
    return {
        "name": "Taken over",
        "channels": "TEXT",
        "language": "en",
        "country": "US",
        "legal_disclosure": "Taken over.",
    }


def webhook_form(style: str) -> dict[str, Any]:
    return {"url": "https://192.0.2.10/taken-over", "events": EVENTS[style], "method": "POST"}


ID_ROUTES = [
    IdRoute("GET", "/console/units/{unit_id}/edit"),
    IdRoute("POST", "/console/units/{unit_id}/edit", fields=unit_form),
    IdRoute("GET", "/console/units/{unit_id}/archive"),
    IdRoute("POST", "/console/units/{unit_id}/archive"),
    IdRoute("GET", "/console/lists/{list_id}/edit"),
    IdRoute(
        "POST",
        "/console/lists/{list_id}/edit",
        fields=lambda style: {"name": "Taken over", "description": "Taken over."},
    ),
    IdRoute("GET", "/console/lists/{list_id}/archive"),
    IdRoute("POST", "/console/lists/{list_id}/archive"),
    IdRoute("GET", "/console/subscribers/{person_key}"),
    IdRoute("GET", "/console/subscribers/{person_key}/records/{record_id}/unsubscribe"),
    IdRoute(
        "POST",
        "/console/subscribers/{person_key}/records/{record_id}/unsubscribe",
        fields=lambda style: {"reason": "taken over", "notify": "on"},
    ),
    IdRoute("GET", "/console/subscribers/{person_key}/records/{record_id}/resend"),
    IdRoute("POST", "/console/subscribers/{person_key}/records/{record_id}/resend"),
    IdRoute("GET", "/console/webhooks/{style}/{webhook_id}"),
    IdRoute("GET", "/console/webhooks/{style}/{webhook_id}/edit"),
    IdRoute("POST", "/console/webhooks/{style}/{webhook_id}/edit", fields=webhook_form),
    IdRoute("POST", "/console/webhooks/{style}/{webhook_id}/disable"),
    IdRoute("POST", "/console/webhooks/{style}/{webhook_id}/enable"),
    IdRoute("GET", "/console/webhooks/{style}/{webhook_id}/delete"),
    IdRoute("POST", "/console/webhooks/{style}/{webhook_id}/delete"),
    IdRoute("POST", "/console/webhooks/{style}/{webhook_id}/test"),
    # A's registration never got B's event: answered as for any event it has no finished
    # delivery of, "not queued again" (and nothing of B's is read or changed).
    IdRoute(
        "POST",
        "/console/webhooks/{style}/{webhook_id}/deliveries/{event_id}/redeliver",
        alone={"event_id": 303},
    ),
    IdRoute("GET", "/console/imports/{job_id}"),
    IdRoute("GET", "/console/imports/{job_id}/errors.csv"),
    IdRoute("GET", "/console/credentials/{credential_id}/revoke"),
    IdRoute("POST", "/console/credentials/{credential_id}/revoke"),
]


@dataclass(frozen=True)
class Probe:
    """A console route with no ids in its path, and how it could still name company
    B's objects: in its query or its form (`{name}` filled from B's world). With nothing
    to name, it is looked at as it is: it must show nothing of B's."""

    method: str
    path: str
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    # Whether the form is an upload, carrying a CSV file.
    upload: bool = False


# The routes an operator uses before or apart from any company: nothing of one to show.
# Signing out ends every session of the operator, so it is not posted here either.
NOT_COMPANY_SCOPED = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
}
PROBES = [
    Probe("GET", "/console"),
    Probe("GET", "/console/companies", query={"q": "{company_key}"}),
    Probe("POST", "/console/company", 403, fields={"company": "{company_key}"}),
    Probe("GET", "/console/units"),
    Probe("GET", "/console/units/new"),
    Probe("POST", "/console/units/new", 400),
    Probe("GET", "/console/lists"),
    Probe("GET", "/console/lists/new"),
    Probe("POST", "/console/lists/new", 400),
    Probe("GET", "/console/subscribers", query={"q": "{phone}"}),
    Probe("GET", "/console/subscribers/proof", 404, query={"contact": "{phone}"}),
    Probe("GET", "/console/messages"),
    Probe("GET", "/console/templates"),
    Probe("GET", "/console/templates/edit", query={"locale": "en-US", "kind": "WELCOME"}),
    Probe(
        "POST",
        "/console/templates/edit",
        query={"locale": "en-US", "kind": "WELCOME"},
        fields={"text": "Welcome!", "action": "preview"},
    ),
    Probe("POST", "/console/templates/reset", 303, query={"locale": "en-US", "kind": "WELCOME"}),
    Probe("GET", "/console/credentials"),
    Probe("POST", "/console/credentials", 400),
    Probe("GET", "/console/audit", query={"object_type": "unit", "object_id": "{unit_id}"}),
    Probe("GET", "/console/imports"),
    Probe("POST", "/console/imports", 400, fields={"unit_id": "{unit_id}"}, upload=True),
    Probe("GET", "/console/export", query={"format": "jsonl"}),
    Probe("GET", "/console/webhooks"),
    Probe("GET", "/console/webhooks/new", query={"style": "vibes"}),
    Probe(
        "POST",
        "/console/webhooks/new",
        400,
        fields={
            "style": "vibes",
            "url": "https://192.0.2.10/taken-over",
            "events": "subscription_added",
            "list_id": "{list_id}",
        },
    ),
]


def console_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves under /console."""
    app = create_app(Settings(secret_key=TEST_SECRET, run_worker_in_process=False))
    return {
        (method, path)
        for path, route in api_routes(app.routes)
        if path.startswith("/console")
        for method in route.methods - {"HEAD"}
    }


def test_every_console_route_has_a_tenant_case() -> None:
    served = console_routes()
    with_ids = {(route.method, route.path) for route in ID_ROUTES}
    probed = {(probe.method, probe.path) for probe in PROBES} | NOT_COMPANY_SCOPED
    assert {route for route in served if "{" in route[1]} == with_ids
    assert {route for route in served if "{" not in route[1]} == probed
    for route in ID_ROUTES:
        assert set(re.findall(r"{(\w+)}", route.path)) <= FILLED, route.path


@dataclass(frozen=True)
class Matrix:
    """Company A's operator's browser, and the two companies' objects."""

    browser: httpx.AsyncClient
    ours: CompanyWorld
    theirs: CompanyWorld


@pytest.fixture(scope="module")
async def matrix(
    module_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Matrix]:
    """Both companies built once per database: no route changes B's (that is the point),
    and A's only by the rare POST that names A's objects alongside one of B's."""
    settings = Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        import_dir=Path(tmp_path_factory.mktemp("imports")),
        # The webhooks point at the documentation network, which nothing answers on.
        webhook_allowed_networks="192.0.2.0/24",  # type: ignore[arg-type]
    )
    app = create_app(settings, database=module_database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as console:
            ours = await build_world(
                console, await make_tenant(module_database, "Brand A"), "+19148440701"
            )
            theirs = await build_world(
                console, await make_tenant(module_database, "Brand B"), "+19148440702"
            )
            async with signed_in_client(console, ours.tenant) as browser:
                yield Matrix(browser, ours, theirs)


async def test_the_snapshot_holds_one_of_everything(matrix: Matrix) -> None:
    rows = await company_rows(matrix.theirs.tenant)
    for table in (
        "companies",
        "sign_up_units",
        "subscription_lists",
        "persons",
        "subscription_records",
        "webhooks",
        "webhook_deliveries",
        "import_jobs",
        "credentials",
        "operator_audit",
    ):
        assert rows[table], table


def fillings(routes: list[IdRoute]) -> list[Any]:
    """Each route with each style, with B's ids everywhere and, where the path holds
    several ids, with B's in one place and A's in the others."""
    cases = []
    for route in routes:
        for style in STYLES if "{style}" in route.path else STYLES[:1]:
            foreign = [tuple(route.ids)]
            if len(route.ids) > 1:
                foreign += [(name,) for name in route.ids]
            for names in foreign:
                label = f"{route.method} {route.path} {style} B's {'+'.join(names)}"
                cases.append(pytest.param(route, style, names, id=label))
    return cases


def refusal(route: IdRoute, foreign: tuple[str, ...]) -> int:
    """The status the route answers with B's ids in `foreign`."""
    return route.alone.get(foreign[0], route.refused) if len(foreign) == 1 else route.refused


def filled(route: IdRoute, matrix: Matrix, style: str, foreign: tuple[str, ...]) -> str:
    ours, theirs = matrix.ours.path_values(style), matrix.theirs.path_values(style)
    values = {name: theirs[name] if name in foreign else ours[name] for name in ours}
    return route.path.format_map(values)


def assert_shows_nothing_of(page: httpx.Response, world: CompanyWorld) -> None:
    shown = [mark for mark in world.marks if mark in page.text]
    assert not shown, (page.status_code, shown)


async def csrf(matrix: Matrix) -> str:
    return csrf_of(await matrix.browser.get("/console/units/new"))


GETS = [route for route in ID_ROUTES if route.method == "GET"]
POSTS = [route for route in ID_ROUTES if route.method == "POST"]


@pytest.mark.parametrize(("route", "style", "foreign"), fillings(GETS))
async def test_another_companys_page_is_not_found(
    matrix: Matrix, route: IdRoute, style: str, foreign: tuple[str, ...]
) -> None:
    page = await matrix.browser.get(filled(route, matrix, style, foreign))
    assert page.status_code == refusal(route, foreign), page.text
    assert_shows_nothing_of(page, matrix.theirs)


@pytest.mark.parametrize(("route", "style", "foreign"), fillings(POSTS))
async def test_another_companys_object_is_not_changed(
    matrix: Matrix, route: IdRoute, style: str, foreign: tuple[str, ...]
) -> None:
    before = await company_rows(matrix.theirs.tenant)
    form = {"csrf": await csrf(matrix), **route.fields(style)}
    answer = await matrix.browser.post(filled(route, matrix, style, foreign), data=form)
    assert answer.status_code == refusal(route, foreign), answer.text
    assert_shows_nothing_of(answer, matrix.theirs)
    assert await company_rows(matrix.theirs.tenant) == before


@pytest.mark.parametrize(
    ("route", "style"),
    [
        pytest.param(route, style, id=f"{route.path} {style}")
        for route in GETS
        for style in (STYLES if "{style}" in route.path else STYLES[:1])
    ],
)
async def test_the_same_page_of_our_own_answers(matrix: Matrix, route: IdRoute, style: str) -> None:
    page = await matrix.browser.get(filled(route, matrix, style, ()))
    assert page.status_code == 200, page.text
    assert_shows_nothing_of(page, matrix.theirs)


def probe_values(world: CompanyWorld) -> dict[str, str]:
    """What a probe's `{name}` stands for in company B."""
    return {**world.ids, **world.names, "company_key": world.tenant.key}


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: f"{probe.method} {probe.path}")
async def test_a_page_without_ids_keeps_to_its_company(matrix: Matrix, probe: Probe) -> None:
    values = probe_values(matrix.theirs)
    query = {name: value.format_map(values) for name, value in probe.query.items()}
    before = await company_rows(matrix.theirs.tenant)
    if probe.method == "GET":
        answer = await matrix.browser.get(probe.path, params=query)
    else:
        fields = {name: value.format_map(values) for name, value in probe.fields.items()}
        form = {"csrf": await csrf(matrix), **fields}
        files = {"file": ("list.csv", CSV, "text/csv")} if probe.upload else None
        answer = await matrix.browser.post(probe.path, params=query, data=form, files=files)
    assert answer.status_code == probe.status, answer.text
    typed = set(query.values()) | {value.format_map(values) for value in probe.fields.values()}
    shown = [mark for mark in matrix.theirs.marks if mark in answer.text and mark not in typed]
    assert not shown, shown
    assert await company_rows(matrix.theirs.tenant) == before
