"""Lists in the console: create, edit and archive through the same rules as the API,
refusals with what was typed, another company's lists, and the audit trail."""

from __future__ import annotations

import re

import httpx

from optledger.core.use_cases.audit import AuditFilter, list_audit
from optledger.core.use_cases.lists import list_lists
from tests.conftest import Tenant, make_tenant
from tests.support.console_forms import csrf_of, post_form

NEW = "/console/lists/new"


def list_id_of(location: str, done: str) -> str:
    found = re.fullmatch(rf"/console/lists\?{done}=(\d+)", location)
    assert found is not None, location
    return found.group(1)


def row_of(page: httpx.Response, list_id: str) -> str:
    found = re.search(rf'<tr data-list-id="{list_id}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert found is not None, page.text
    return found.group(1)


async def test_a_list_is_created_edited_and_archived(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    made = await post_form(
        console,
        NEW,
        NEW,
        name="  Spring sale ",
        description="Seasonal",
        type="MARKETING",
        channel="EMAIL",
    )
    assert made.status_code == 303, made.text
    list_id = list_id_of(made.headers["location"], "created")
    listed = await console.get(made.headers["location"])
    assert f"List {list_id} created." in listed.text
    row = row_of(listed, list_id)
    assert "Spring sale" in row
    assert "Seasonal" in row
    assert "EMAIL" in row
    assert "Archive" in row

    edit = f"/console/lists/{list_id}/edit"
    form = await console.get(edit)
    assert 'value="Spring sale"' in form.text
    assert 'id="type" value="MARKETING" disabled' in form.text
    saved = await post_form(console, edit, edit, name="Summer sale", description="Hot")
    assert saved.headers["location"] == f"/console/lists?updated={list_id}"
    row = row_of(await console.get("/console/lists"), list_id)
    assert "Summer sale" in row
    assert "Hot" in row

    archive = f"/console/lists/{list_id}/archive"
    question = await console.get(archive)
    assert "Archive Summer sale?" in question.text
    archived = await console.post(archive, data={"csrf": csrf_of(question)})
    assert archived.headers["location"] == f"/console/lists?archived={list_id}"
    row = row_of(await console.get("/console/lists"), list_id)
    assert "archived" in row
    assert "Edit" not in row
    # An archived list keeps its name: it is what it was.
    late = await post_form(console, "/console/lists", edit, name="Again", description="")
    assert late.status_code == 409
    assert "is archived" in late.text

    wanted = AuditFilter(tenant.company_id, object_type="list", object_id=list_id)
    trail = await list_audit(tenant.database, wanted)
    assert [entry.action for entry in trail] == ["list.archived", "list.updated", "list.created"]
    assert {entry.actor for entry in trail} == {operator}
    assert trail[0].changes == {"status": {"before": "active", "after": "archived"}}
    assert trail[1].changes == {
        "name": {"before": "Spring sale", "after": "Summer sale"},
        "description": {"before": "Seasonal", "after": "Hot"},
    }
    assert trail[2].changes["name"] == {"before": None, "after": "Spring sale"}


async def test_a_refused_list_says_why_and_keeps_what_was_typed(
    console: httpx.AsyncClient, operator: str
) -> None:
    nameless = await post_form(
        console, NEW, NEW, name="  ", description="Kept", type="TRANSACTIONAL", channel="TEXT"
    )
    assert nameless.status_code == 400
    assert 'role="alert"' in nameless.text
    assert ">Kept</textarea>" in nameless.text
    assert "<option selected>TRANSACTIONAL</option>" in nameless.text
    odd = await post_form(console, NEW, NEW, name="Odd", type="NEWSLETTER", channel="TEXT")
    assert odd.status_code == 400
    assert "choose a type and a channel" in odd.text
    assert 'value="Odd"' in odd.text


async def test_a_default_list_is_not_archived(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    listed = await console.get("/console/lists")
    default_id = re.findall(r'<tr data-list-id="(\d+)"', listed.text)[0]
    assert "Archive" not in row_of(listed, default_id)
    refused = await post_form(console, "/console/lists", f"/console/lists/{default_id}/archive")
    assert refused.status_code == 409
    assert "cannot be archived" in refused.text
    assert "active" in row_of(await console.get("/console/lists"), default_id)


async def test_another_companys_list_is_not_found(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database)
    made = await post_form(
        console, NEW, NEW, name="Ours", description="", type="MARKETING", channel="TEXT"
    )
    ours = list_id_of(made.headers["location"], "created")
    shown = await console.get("/console/lists")
    assert f'data-list-id="{ours}"' in shown.text
    their_ids = [found.id for found in await list_lists(tenant.database, other.company_id)]
    csrf = csrf_of(shown)
    for list_id in their_ids:
        assert f'data-list-id="{list_id}"' not in shown.text
        for page in ("edit", "archive"):
            assert (await console.get(f"/console/lists/{list_id}/{page}")).status_code == 404
            data = {"csrf": csrf, "name": "Taken", "description": ""}
            answer = await console.post(f"/console/lists/{list_id}/{page}", data=data)
            assert answer.status_code == 404
