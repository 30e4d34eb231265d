"""Every route answers garbage with a 4xx in its dialect's shape, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.tables import Event, Person, SubscriptionRecord
from tests.conftest import Tenant
from tests.support.helpers import count_rows
from tests.support.operator_helpers import make_operator


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every documented route, path parameters filled in."""
    spec = create_app(Settings(run_worker_in_process=False)).openapi()
    found = []
    for path, operations in spec["paths"].items():
        filled = path.replace("{company_key}", "COMPANY").replace("{", "").replace("}", "")
        found += [(method.upper(), filled) for method in operations]
    return found


ROUTES = api_routes()
GARBAGE: list[tuple[str, Any]] = [
    ("not json", b"{'user': "),
    ("json array", b"[1, 2, 3]"),
    ("json string", b'"hello"'),
    ("wrong types", b'{"user": 5, "identifiers": [], "properties": 3, "from": 1, "body": {}}'),
    ("deep nesting", b"[" * 5000 + b"]" * 5000),
    ("not utf-8", b"\xff\xfe\xfa"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(("label", "payload"), GARBAGE, ids=[label for label, _ in GARBAGE])
async def test_garbage_gets_a_4xx_and_writes_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
    label: str,
    payload: bytes,
) -> None:
    url = path.replace("COMPANY", tenant.key)
    headers = {"content-type": "application/json"}
    if url.startswith("/manage/"):
        # Past the management API's own credential, to where the garbage is read.
        headers.update((await make_operator(tenant.database, [tenant.key])).headers)
    response = await client.request(
        method,
        url,
        content=payload if method in {"POST", "PUT", "PATCH"} else None,
        params={"phone": label, "email": label, "to": label} if method == "GET" else None,
        headers=headers,
    )
    if method == "GET":
        # A query of garbage may be a valid question with an empty answer.
        assert response.status_code < 500, (method, url, label, response.text)
    else:
        assert 400 <= response.status_code < 500, (method, url, label, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert "error" in body or "errors" in body
    for table in (Person, SubscriptionRecord, Event):
        assert await count_rows(tenant.database, tenant.company_id, table) == 0


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] in {"POST", "PUT"}])
async def test_oversized_bodies_get_413(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str
) -> None:
    url = path.replace("COMPANY", tenant.key)
    response = await client.request(
        method,
        url,
        content=b'{"pad": "' + b"x" * (1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
