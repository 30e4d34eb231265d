"""The management API: operators' tokens, each company's units, lists, templates and
credentials, and the isolation of an operator limited to some companies.

A company outside an operator's list is 403 on every route (an unknown key too, for
such an operator); an operator of every company gets 404 for an unknown key.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from optledger.core.operators.tokens import revoke_operator_token
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import SubscriptionRecord
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.helpers import count_rows, records, subscribe_body
from tests.support.manage_requests import (
    COMPANY,
    DISCLOSURE,
    REQUESTS,
    UNSCOPED,
    objects_of,
    unit_body,
)
from tests.support.openapi import documented
from tests.support.operator_helpers import make_operator

CACHE_SECONDS = 0.3
PHONE = "+19148440381"


@pytest.fixture
def settings() -> Settings:
    """A short credential cache, so that revocations are seen within the test."""
    return Settings(
        secret_key=TEST_SECRET, run_worker_in_process=False, credential_cache_seconds=CACHE_SECONDS
    )


async def holdings(client: httpx.AsyncClient, ids: dict[str, str]) -> dict[str, Any]:
    """What a company holds, as an operator of every company reads it."""
    base = COMPANY.format(**ids)
    found = {}
    for part in ("units", "lists", "templates", "credentials?revoked=true"):
        response = await client.get(f"{base}/{part}")
        assert response.status_code == 200, response.text
        found[part] = response.json()
    return found


def test_the_matrix_covers_every_manage_route() -> None:
    routes = {route for route in documented() if route[1].startswith("/manage/")}
    assert routes == set(REQUESTS) | UNSCOPED


@pytest.mark.parametrize(("method", "path"), sorted(REQUESTS))
async def test_an_operator_limited_to_one_company_reaches_nothing_of_another(
    app_client: httpx.AsyncClient, database: Database, method: str, path: str
) -> None:
    mine, theirs = await make_tenant(database), await make_tenant(database)
    limited = await make_operator(database, [mine.key])
    everyone = await make_operator(database)
    app_client.headers.update(everyone.headers)
    their_ids = await objects_of(app_client, theirs)
    my_ids = await objects_of(app_client, mine)
    before = await holdings(app_client, their_ids)
    url, body = REQUESTS[(method, path)]

    refused = await app_client.request(
        method, url.format(**their_ids), json=body, headers=limited.headers
    )
    assert refused.status_code == 403, refused.text
    assert set(refused.json()["error"]) == {"code", "message", "request_id"}
    assert await holdings(app_client, their_ids) == before
    # An unknown key is as closed to them; an operator of every company learns it is unknown.
    unknown = url.format(**{**their_ids, "key": "no-such-company"})
    assert (
        await app_client.request(method, unknown, json=body, headers=limited.headers)
    ).status_code == 403
    assert (await app_client.request(method, unknown, json=body)).status_code == 404

    allowed = await app_client.request(
        method, url.format(**my_ids), json=body, headers=limited.headers
    )
    assert allowed.status_code < 300, allowed.text


async def test_a_limited_operator_lists_only_its_companies_and_adds_none(
    app_client: httpx.AsyncClient, database: Database
) -> None:
    mine, theirs = await make_tenant(database), await make_tenant(database)
    limited = await make_operator(database, [mine.key])
    app_client.headers.update(limited.headers)
    me = await app_client.get("/manage/v1/me")
    assert me.json() == {"name": limited.name, "all_companies": False}
    listed = await app_client.get("/manage/v1/companies")
    assert [company["key"] for company in listed.json()["companies"]] == [mine.key]
    assert theirs.key not in listed.text
    added = await app_client.post("/manage/v1/companies", json={"key": "not-theirs-to-add"})
    assert added.status_code == 403

    everyone = await make_operator(database)
    app_client.headers.update(everyone.headers)
    new_key = f"{mine.key}-new"
    made = await app_client.post("/manage/v1/companies", json={"key": new_key, "name": "New"})
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "New"
    again = await app_client.post("/manage/v1/companies", json={"key": new_key})
    assert again.status_code == 409
    lists = await app_client.get(f"/manage/v1/companies/{new_key}/lists")
    assert len(lists.json()["lists"]) == 6  # a default per (type, channel)


async def test_without_a_valid_operator_token_every_route_is_401(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    operator = await make_operator(database)
    lookup = operator.token.split(".")[0]
    presented = [
        {},
        tenant.api_headers,  # a company's API key is no operator's token
        {"Authorization": f"Bearer {lookup}.wrong-secret"},
        {"Authorization": f"Basic {operator.token}"},
    ]
    for method, path in sorted(set(REQUESTS) | UNSCOPED):
        url = path.replace("{company_key}", tenant.key).replace("{", "").replace("}", "")
        for headers in presented:
            response = await app_client.request(method, url, headers=headers)
            assert response.status_code == 401, (method, url, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_a_revoked_operator_token_is_refused_within_the_cache_time(
    app_client: httpx.AsyncClient, database: Database
) -> None:
    operator = await make_operator(database)
    assert (await app_client.get("/manage/v1/me", headers=operator.headers)).status_code == 200
    lookup = operator.token.split(".")[0]
    await database.run(lambda connection: revoke_operator_token(connection, lookup))
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert (await app_client.get("/manage/v1/me", headers=operator.headers)).status_code == 401


async def test_a_unit_made_here_takes_subscriptions_at_once(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database, [tenant.key])).headers)
    made = await app_client.post(f"/manage/v1/companies/{tenant.key}/units", json=unit_body())
    assert made.status_code == 201, made.text
    unit = made.json()
    assert unit["status"] == "active"
    assert unit["legal_disclosure"] == DISCLOSURE
    body = subscribe_body(PHONE, unit_id=unit["id"], singleOptIn=True)
    subscribed = await app_client.post("/v1/subscriptions", json=body, headers=tenant.api_headers)
    assert subscribed.status_code == 202, subscribed.text
    [record] = await records(database, tenant.company_id, PHONE)
    assert (record.unit_id, record.status) == (int(unit["id"]), "ACTIVE")
    assert record.disclosure_text == DISCLOSURE


@pytest.mark.parametrize(
    ("overrides", "status", "says"),
    [
        ({"legal_disclosure": None}, 400, "legal disclosure"),
        ({"legal_disclosure": "   "}, 400, "legal disclosure"),
        ({"method": "KEYWORD", "keywords": ["STOP"]}, 400, "reserved"),
        ({"method": "KEYWORD", "keywords": ["help"]}, 400, "reserved"),
        ({"method": "KEYWORD", "keywords": ["two words"]}, 400, "one word"),
        ({"method": "KEYWORD"}, 400, "at least one keyword"),
        ({"keywords": ["JOIN"]}, 400, "only KEYWORD"),
        ({"method": "KEYWORD", "keywords": ["JOIN"], "channels": ["EMAIL"]}, 400, "TEXT"),
        ({"locale": {"language": "en", "country": "USA"}}, 400, "country"),
        ({"type": "PROMOTIONAL"}, 400, "type"),
        ({"surprise": True}, 400, "surprise"),
    ],
)
async def test_units_that_break_a_rule_are_400_and_not_made(
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    database: Database,
    overrides: dict[str, Any],
    status: int,
    says: str,
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/units"
    before = (await app_client.get(base)).json()
    refused = await app_client.post(base, json=unit_body(**overrides))
    assert refused.status_code == status, refused.text
    assert says in refused.json()["error"]["message"]
    assert (await app_client.get(base)).json() == before


async def test_names_and_keywords_are_one_units_each(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/units"
    keyword = unit_body(name="Join", method="KEYWORD", keywords=["join"])
    first = await app_client.post(base, json=keyword)
    assert first.status_code == 201, first.text
    assert first.json()["keywords"] == ["JOIN"]
    clash = await app_client.post(base, json={**keyword, "name": "Join again"})
    assert clash.status_code == 409
    assert "JOIN" in clash.json()["error"]["message"]
    same_name = await app_client.post(base, json=unit_body(name="Join"))
    assert same_name.status_code == 409
    # Archived, its keyword is free again (its name stays taken: records name the unit).
    archived = await app_client.post(f"{base}/{first.json()['id']}/archive")
    assert archived.json()["status"] == "archived"
    again = await app_client.post(base, json={**keyword, "name": "Join 2"})
    assert again.status_code == 201, again.text


async def test_archiving_a_unit_keeps_its_records_and_stops_new_consent(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/units"
    unit_id = (await app_client.post(base, json=unit_body())).json()["id"]
    body = subscribe_body(PHONE, unit_id=unit_id, singleOptIn=True)
    headers = tenant.api_headers
    assert (
        await app_client.post("/v1/subscriptions", json=body, headers=headers)
    ).status_code == 202

    archived = await app_client.post(f"{base}/{unit_id}/archive")
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    [record] = await records(database, tenant.company_id, PHONE)
    assert (record.unit_id, record.status) == (int(unit_id), "ACTIVE")
    body = subscribe_body("+19148440382", unit_id=unit_id, singleOptIn=True)
    refused = await app_client.post("/v1/subscriptions", json=body, headers=headers)
    assert refused.status_code == 400
    assert "archived" in refused.json()["error"]["message"]
    assert await count_rows(database, tenant.company_id, SubscriptionRecord) == 1
    assert (await app_client.get(f"{base}/{unit_id}")).json()["status"] == "archived"
    changed = await app_client.patch(f"{base}/{unit_id}", json={"name": "Back"})
    assert changed.status_code == 409


async def test_a_patch_changes_only_what_it_gives_and_keeps_every_rule(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/units"
    unit = (await app_client.post(base, json=unit_body(welcome_text="Hi"))).json()
    url = f"{base}/{unit['id']}"
    patched = await app_client.patch(
        url, json={"welcome_text": None, "channels": ["TEXT", "EMAIL"]}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**unit, "welcome_text": None, "channels": ["TEXT", "EMAIL"]}
    assert (await app_client.patch(url, json={"legal_disclosure": None})).status_code == 400
    assert (await app_client.patch(url, json={"type": "TRANSACTIONAL"})).status_code == 400
    assert (await app_client.patch(f"{base}/999999999", json={"name": "x"})).status_code == 404
    assert (await app_client.get(url)).json() == patched.json()


async def test_lists_are_made_renamed_and_archived_but_defaults_stay(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/lists"
    lists = (await app_client.get(base)).json()["lists"]
    default = next(item for item in lists if item["is_default"])
    refused = await app_client.post(f"{base}/{default['id']}/archive")
    assert refused.status_code == 409
    made = await app_client.post(
        base, json={"name": "VIP", "type": "MARKETING", "channel": "TEXT", "description": "Best"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["is_default"] is False
    renamed = await app_client.patch(f"{base}/{made.json()['id']}", json={"name": "VIP 2"})
    assert renamed.json() == {**made.json(), "name": "VIP 2"}
    archived = await app_client.post(f"{base}/{made.json()['id']}/archive")
    assert archived.json()["status"] == "archived"
    assert (await app_client.get(f"{base}/999999999")).status_code == 404


async def test_templates_are_overridden_and_reset_per_locale_and_kind(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/templates"
    built_in = (await app_client.get(base)).json()["templates"]
    assert {(t["locale"], t["kind"]) for t in built_in} >= {("en-US", "HELP"), ("fr-CA", "HELP")}
    assert {t["source"] for t in built_in} == {"built_in"}
    put = await app_client.put(f"{base}/de-DE/HELP", json={"text": "{company}: STOP zum Abmelden"})
    assert put.json() == {
        "locale": "de-DE",
        "kind": "HELP",
        "text": "{company}: STOP zum Abmelden",
        "source": "company",
        # "Acme: STOP zum Abmelden" as SMS.
        "encoding": "GSM-7",
        "characters": 23,
        "segments": 1,
    }
    assert ("de-DE", "WELCOME") in {
        (t["locale"], t["kind"]) for t in (await app_client.get(base)).json()["templates"]
    }
    bad = await app_client.put(f"{base}/en-US/HELP", json={"text": "{nobody} help"})
    assert bad.status_code == 400
    reset = await app_client.delete(f"{base}/de-DE/HELP")
    assert reset.json()["source"] == "built_in"
    assert (await app_client.put(f"{base}/english/HELP", json={"text": "x"})).status_code == 400


async def test_credentials_are_shown_once_and_a_revoked_one_stops_working(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database)).headers)
    base = f"/manage/v1/companies/{tenant.key}/credentials"
    made = await app_client.post(base, json={"kind": "api_key", "name": "crm", "rate_limit": 9})
    assert made.status_code == 201, made.text
    key = made.json()
    assert (key["name"], key["rate_limit"], key["revoked_at"]) == ("crm", 9, None)
    assert len(key["scopes"]) > 1
    headers = {"Authorization": f"Bearer {key['token']}"}
    assert (await app_client.get("/v1/me", headers=headers)).status_code == 200

    listed = (await app_client.get(base)).json()["credentials"]
    assert key["id"] in [item["id"] for item in listed]
    assert key["token"] not in str(listed)
    basic = (await app_client.post(base, json={"kind": "basic"})).json()
    assert basic["token"] is None
    assert basic["password"]
    scoped = await app_client.post(base, json={"kind": "basic", "scopes": ["messages:read"]})
    assert scoped.status_code == 400

    revoked = await app_client.post(f"{base}/{key['lookup_id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert (await app_client.get("/v1/me", headers=headers)).status_code == 401
    assert (await app_client.post(f"{base}/{key['id']}/revoke")).status_code == 404
    assert key["id"] not in [
        item["id"] for item in (await app_client.get(base)).json()["credentials"]
    ]


async def test_unsubscribe_links_are_minted_for_the_companys_email_lists(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    app_client.headers.update((await make_operator(database, [tenant.key])).headers)
    url = f"/manage/v1/companies/{tenant.key}/unsubscribe-links"
    made = await app_client.post(url, json={"addresses": [" Ann.Lee@Example.COM "]})
    assert made.status_code == 200, made.text
    [link] = made.json()["links"]
    assert link["address"] == "Ann.Lee@example.com"
    assert "/u/" in link["url"]
    assert link["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link["url"] in link["headers"]["List-Unsubscribe"]
    lists = (await app_client.get(f"/manage/v1/companies/{tenant.key}/lists")).json()["lists"]
    text_list = next(item["id"] for item in lists if item["channel"] == "TEXT")
    one = ["a@example.com"]
    refused = await app_client.post(url, json={"addresses": one, "list_id": text_list})
    assert refused.status_code == 400
    unknown = await app_client.post(url, json={"addresses": one, "list_id": "999999"})
    assert unknown.status_code == 404
    invalid = await app_client.post(url, json={"addresses": ["not an address"]})
    assert invalid.status_code == 400
