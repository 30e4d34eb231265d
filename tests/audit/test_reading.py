"""Reading the trail: sign-ins and failed ones, the console's page and its filters, one
company's operator never seeing another's entries, and `optledger audit list`."""

from __future__ import annotations

import json
import re

import httpx

from optledger.core.use_cases.audit import AuditFilter, list_audit
from tests.conftest import Tenant, make_tenant
from tests.support.console_forms import sign_in
from tests.support.helpers import run_optledger
from tests.support.operator_helpers import PASSWORD, make_operator, make_operator_without_token

ROW = re.compile(r"<tr>\s*<td>")


async def test_sign_ins_and_failed_ones_are_recorded_without_the_password(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    name = await make_operator_without_token(tenant.database, [tenant.key])
    wrong = "not-the-password-" + PASSWORD
    failed = await sign_in(console, f"  {name.upper()} ", wrong)
    assert failed.status_code == 401
    signed = await sign_in(console, name)
    assert signed.status_code == 303

    done, refused = await list_audit(
        tenant.database, AuditFilter(object_type="operator", object_id=name)
    )
    assert (refused.action, refused.actor, refused.client_ip) == (
        "sign_in_failed", name, "127.0.0.1"
    )  # fmt: skip
    assert (done.action, done.actor) == ("sign_in", name)
    assert refused.company_id is None
    assert wrong not in json.dumps(refused.changes)
    assert PASSWORD not in json.dumps(done.changes)


async def test_the_console_page_filters_by_operator_and_object(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    base = f"/manage/v1/companies/{tenant.key}/lists"
    made = await app_client.post(
        base,
        headers=manager.headers,
        json={"name": "Spring sale", "type": "MARKETING", "channel": "TEXT"},
    )
    assert made.status_code == 201, made.text
    list_id = made.json()["id"]
    done = run_optledger(
        tenant.database, "lists", "update", str(list_id), "--company", tenant.key,
        "--description", "Deals for spring",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    page = await console.get("/console/audit")
    assert page.status_code == 200
    assert 'href="/console/audit" aria-current="page"' in page.text
    assert "list.created" in page.text
    assert "list.updated" in page.text
    assert "Deals for spring" in page.text

    by_manager = await console.get("/console/audit", params={"actor": manager.name})
    assert "list.created" in by_manager.text
    assert "list.updated" not in by_manager.text
    by_object = await console.get(
        "/console/audit", params={"object_type": "list", "object_id": str(list_id)}
    )
    assert len(ROW.findall(by_object.text)) == 2
    elsewhere = await console.get("/console/audit", params={"object_type": "unit"})
    assert "Nothing recorded with these filters" in elsewhere.text


async def test_an_operator_never_sees_another_companys_entries(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    other = await make_tenant(tenant.database)
    manager = await make_operator(tenant.database, [other.key])
    made = await app_client.post(
        f"/manage/v1/companies/{other.key}/lists",
        headers=manager.headers,
        json={"name": "Their secret plans", "type": "MARKETING", "channel": "TEXT"},
    )
    assert made.status_code == 201, made.text

    for params in ({}, {"actor": manager.name}, {"object_type": "list"}):
        page = await console.get("/console/audit", params=params)
        assert page.status_code == 200
        assert "Their secret plans" not in page.text
        assert ROW.findall(page.text) == []


async def test_the_page_goes_back_a_page_at_a_time(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    made = await app_client.post(
        f"/manage/v1/companies/{tenant.key}/lists",
        headers=manager.headers,
        json={"name": "Renamed often", "type": "MARKETING", "channel": "TEXT"},
    )
    list_id = made.json()["id"]
    for number in range(100):
        renamed = await app_client.patch(
            f"/manage/v1/companies/{tenant.key}/lists/{list_id}",
            headers=manager.headers,
            json={"name": f"Name {number}"},
        )
        assert renamed.status_code == 200, renamed.text

    first = await console.get("/console/audit", params={"actor": manager.name})
    assert len(ROW.findall(first.text)) == 100
    older = re.search(r'<a href="(/console/audit\?[^"]+)">Older</a>', first.text)
    assert older is not None
    second = await console.get(older.group(1).replace("&amp;", "&"))
    assert len(ROW.findall(second.text)) == 1
    assert "list.created" in second.text
    assert "Older" not in second.text


async def test_the_cli_lists_a_company_s_entries(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    made = await app_client.post(
        f"/manage/v1/companies/{tenant.key}/lists",
        headers=manager.headers,
        json={"name": "Listed", "type": "MARKETING", "channel": "EMAIL"},
    )
    list_id = made.json()["id"]
    archived = run_optledger(
        tenant.database, "lists", "archive", str(list_id), "--company", tenant.key
    )
    assert archived.returncode == 0, archived.stdout + archived.stderr
    other = await make_tenant(tenant.database)
    run_optledger(tenant.database, "lists", "create", "--company", other.key, "--name", "Other",
                  "--type", "MARKETING", "--channel", "TEXT")  # fmt: skip

    shown = run_optledger(tenant.database, "audit", "list", "--company", tenant.key, "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert [entry["action"] for entry in found] == ["list.archived", "list.created"]
    assert found[0]["changes"]["status"] == {"before": "active", "after": "archived"}
    assert found[0]["actor"].startswith("cli:")
    assert found[0]["client_ip"] is None

    one = run_optledger(
        tenant.database, "audit", "list", "--company", tenant.key,
        "--actor", manager.name, "--object", f"list:{list_id}", "--json",
    )  # fmt: skip
    assert [entry["action"] for entry in json.loads(one.stdout)] == ["list.created"]
    table = run_optledger(tenant.database, "audit", "list", "--company", tenant.key, "--limit", "1")
    assert table.returncode == 0
    assert "list.archived" in table.stdout
    assert "list.created" not in table.stdout


async def test_the_page_needs_a_session_and_refuses_bad_filters_with_a_page(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    anonymous = await console.get("/console/audit")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/login?next=/console/audit"
    name = await make_operator_without_token(tenant.database, [tenant.key])
    assert (await sign_in(console, name)).status_code == 303
    for params in ({"before": "0"}, {"before": "x"}, {"actor": "x" * 201}):
        refused = await console.get("/console/audit", params=params)
        assert refused.status_code == 400, params
        assert refused.headers["content-type"].startswith("text/html")
