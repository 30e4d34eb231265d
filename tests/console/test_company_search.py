"""The console's company switch: a search by key or name over the operator's own
companies, bounded, with a switch button for each."""

from __future__ import annotations

import uuid

import httpx

from optledger.core.use_cases.companies import add_company
from optledger.core.use_cases.console_sessions import MAX_FOUND_COMPANIES
from tests.conftest import Tenant, make_tenant
from tests.support.console_forms import csrf_of, sign_in
from tests.support.operator_helpers import make_operator_without_token


def _listed(page: httpx.Response) -> int:
    return page.text.count("data-company-key=")


async def test_an_operator_finds_their_companies_by_key_or_name_in_any_case(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    second = await make_tenant(tenant.database, name="Second Brand")
    await make_tenant(tenant.database, name="Second brand of someone else")
    name = await make_operator_without_token(tenant.database, [tenant.key, second.key])
    await sign_in(console, name)
    by_name = await console.get("/console/companies", params={"q": "SECOND"})
    assert by_name.status_code == 200
    assert _listed(by_name) == 1
    assert f'data-company-key="{second.key}"' in by_name.text
    by_key = await console.get("/console/companies", params={"q": tenant.key[-6:].upper()})
    assert f'data-company-key="{tenant.key}"' in by_key.text
    # LIKE's wildcards are looked for as typed, not as wildcards.
    assert _listed(await console.get("/console/companies", params={"q": "%"})) == 0
    assert _listed(await console.get("/console/companies", params={"q": "_"})) == 0
    every = await console.get("/console/companies")
    assert _listed(every) == 2
    switched = await console.post(
        "/console/company", data={"csrf": csrf_of(every), "company": second.key}
    )
    assert (switched.status_code, switched.headers["location"]) == (303, "/console")
    assert "Second Brand" in (await console.get("/console")).text
    # The company looked at is marked, not offered.
    rows = (await console.get("/console/companies")).text.split("data-company-key=")
    current = [row for row in rows[1:] if 'class="tag">Current' in row]
    assert len(current) == 1
    assert current[0].startswith(f'"{second.key}"')


async def test_an_operator_never_finds_nor_switches_to_another_s_company(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database, name="Hidden brand")
    for query in ("", "hidden", other.key):
        page = await console.get("/console/companies", params={"q": query})
        assert page.status_code == 200
        assert _listed(page) == (1 if query == "" else 0)
        assert f'data-company-key="{other.key}"' not in page.text
        assert "Hidden brand" not in page.text
    # An operator of one company is offered no switch at all.
    assert 'id="company-switch"' not in (await console.get("/console")).text
    refused = await console.post(
        "/console/company", data={"csrf": csrf_of(page), "company": other.key}
    )
    assert refused.status_code == 403
    assert "Acme" in (await console.get("/console")).text


async def test_an_operator_of_every_company_reaches_any_and_results_are_bounded(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    word = uuid.uuid4().hex[:10]
    for n in range(MAX_FOUND_COMPANIES + 1):
        await add_company(tenant.database, f"{word}-{n:03d}", f"Brand {n}", actor=None)
    name = await make_operator_without_token(tenant.database, None)
    await sign_in(console, name)
    found = await console.get("/console/companies", params={"q": word})
    assert _listed(found) == MAX_FOUND_COMPANIES
    assert "Only the first" in found.text
    # The last by key is past the bound, yet a search finds it and the switch takes it.
    last = f"{word}-{MAX_FOUND_COMPANIES:03d}"
    assert _listed(await console.get("/console/companies", params={"q": last})) == 1
    switched = await console.post(
        "/console/company", data={"csrf": csrf_of(found), "company": last}
    )
    assert switched.status_code == 303
    assert f"Brand {MAX_FOUND_COMPANIES}" in (await console.get("/console")).text
    unknown = await console.post(
        "/console/company", data={"csrf": csrf_of(found), "company": f"{word}-none"}
    )
    assert unknown.status_code == 404


async def test_a_search_too_long_is_refused(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    assert (await console.get("/console/companies", params={"q": "x" * 201})).status_code == 400
