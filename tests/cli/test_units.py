"""`optledger units|lists|credentials|companies|templates list`, run as the installed
program beside a running app on the tests' database (another process, as in use)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import httpx

from optledger.storage.tables import SignUpUnit
from tests.conftest import Tenant, make_tenant
from tests.support import cli_fixtures
from tests.support.cli_fixtures import CACHE_SECONDS
from tests.support.helpers import count_rows, records, run_optledger, subscribe, subscribe_body

# Run once, on SQLite, beside a server with a short credential cache.
database = cli_fixtures.database
settings = cli_fixtures.settings

PHONE = "+19148440391"
DISCLOSURE = "Weekly deals. Msg & data rates may apply. Reply STOP to cancel."


def optledger(tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    return run_optledger(tenant.database, *args)


def json_of(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def create_unit(tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    return optledger(
        tenant, "units", "create", "--company", tenant.key, "--type", "MARKETING",
        "--channel", "TEXT", "--language", "en", "--country", "US", "--json", *args,
    )  # fmt: skip


async def test_a_unit_created_by_the_cli_takes_subscriptions_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The server has the company's catalog cached before the unit exists.
    assert (await subscribe(client, "+19148440390")).status_code == 202
    unit = json_of(
        create_unit(
            tenant, "--name", "Spring", "--disclosure", DISCLOSURE, "--allow-single-opt-in",
            "--channel", "EMAIL",
        )
    )  # fmt: skip
    assert unit["status"] == "active"
    assert unit["channels"] == ["TEXT", "EMAIL"]
    assert unit["locale"] == {"language": "en", "country": "US"}
    body = subscribe_body(PHONE, unit_id=unit["id"], singleOptIn=True)
    subscribed = await client.post("/v1/subscriptions", json=body)
    assert subscribed.status_code == 202, subscribed.text
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert (record.unit_id, record.status, record.disclosure_text) == (
        int(unit["id"]),
        "ACTIVE",
        DISCLOSURE,
    )

    table = optledger(tenant, "units", "list", "--company", tenant.key)
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if "Spring" in line)
    assert unit["id"] in row.split()
    listed = optledger(tenant, "units", "list", "--company", tenant.key, "--json")
    assert unit in json_of(listed)


async def test_units_breaking_a_rule_are_refused_and_not_made(tenant: Tenant) -> None:
    before = await count_rows(tenant.database, tenant.company_id, SignUpUnit)
    undisclosed = create_unit(tenant, "--name", "No disclosure")
    assert undisclosed.returncode == 1
    assert "legal disclosure" in undisclosed.stdout
    stop = create_unit(
        tenant, "--name", "Stop", "--disclosure", DISCLOSURE, "--method", "KEYWORD",
        "--keyword", "STOP",
    )  # fmt: skip
    assert stop.returncode == 1
    assert "reserved" in stop.stdout
    assert await count_rows(tenant.database, tenant.company_id, SignUpUnit) == before
    keyword = create_unit(
        tenant, "--name", "Join", "--disclosure", DISCLOSURE, "--method", "keyword",
        "--keyword", "join",
    )  # fmt: skip
    assert json_of(keyword)["keywords"] == ["JOIN"]


async def test_update_and_archive_keep_what_was_collected(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit = json_of(
        create_unit(tenant, "--name", "Fall", "--disclosure", DISCLOSURE, "--allow-single-opt-in")
    )
    updated = json_of(
        optledger(
            tenant, "units", "update", unit["id"], "--company", tenant.key,
            "--disclosure", "New terms. Reply STOP to cancel.", "--no-double-opt-in", "--json",
        )
    )  # fmt: skip
    assert updated == {
        **unit,
        "legal_disclosure": "New terms. Reply STOP to cancel.",
        "double_opt_in": False,
    }
    cleared = optledger(
        tenant, "units", "update", unit["id"], "--company", tenant.key, "--disclosure", ""
    )
    assert cleared.returncode == 1
    assert "legal disclosure" in cleared.stdout

    assert (await subscribe(client, PHONE, unit_id=unit["id"])).status_code == 202
    archived = json_of(
        optledger(tenant, "units", "archive", unit["id"], "--company", tenant.key, "--json")
    )
    assert archived["status"] == "archived"
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert (record.status, record.disclosure_text) == ("ACTIVE", "New terms. Reply STOP to cancel.")
    refused = await subscribe(client, "+19148440392", unit_id=unit["id"])
    assert refused.status_code == 400
    assert "archived" in refused.json()["error"]["message"]


async def test_another_companys_unit_is_not_found(tenant: Tenant) -> None:
    other = await make_tenant(tenant.database)
    their_unit = str(other.boot.units[0].id)
    archived = optledger(tenant, "units", "archive", their_unit, "--company", tenant.key)
    assert archived.returncode == 1
    assert "does not exist" in archived.stdout


async def test_lists_are_made_renamed_and_archived(tenant: Tenant) -> None:
    made = json_of(
        optledger(
            tenant, "lists", "create", "--company", tenant.key, "--name", "VIP", "--type",
            "MARKETING", "--channel", "EMAIL", "--json",
        )
    )  # fmt: skip
    assert (made["is_default"], made["status"]) == (False, "active")
    renamed = json_of(
        optledger(
            tenant, "lists", "update", made["id"], "--company", tenant.key, "--name", "VIP+",
            "--json",
        )
    )  # fmt: skip
    assert renamed["name"] == "VIP+"
    archived = json_of(
        optledger(tenant, "lists", "archive", made["id"], "--company", tenant.key, "--json")
    )
    assert archived["status"] == "archived"
    listed = optledger(tenant, "lists", "list", "--company", tenant.key, "--json")
    rows = json_of(listed)
    assert len(rows) == 7
    default = next(row for row in rows if row["is_default"])
    refused = optledger(tenant, "lists", "archive", default["id"], "--company", tenant.key)
    assert refused.returncode == 1
    assert "cannot be archived" in refused.stdout


async def test_a_credential_revoked_by_the_cli_is_refused_within_the_cache_time(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    minted = json_of(
        optledger(
            tenant, "credentials", "create", "--company", tenant.key, "--kind", "api_key",
            "--scope", "messages:read", "--json",
        )
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {minted['token']}"}
    assert (await app_client.get("/v1/me", headers=headers)).status_code == 200
    other = await make_tenant(tenant.database)
    elsewhere = optledger(tenant, "credentials", "revoke", minted["id"], "--company", other.key)
    assert elsewhere.returncode == 1
    assert (await app_client.get("/v1/me", headers=headers)).status_code == 200
    revoked = optledger(tenant, "credentials", "revoke", minted["id"], "--company", tenant.key)
    assert revoked.returncode == 0, revoked.stdout
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert (await app_client.get("/v1/me", headers=headers)).status_code == 401
    bad_scope = optledger(
        tenant, "credentials", "create", "--company", tenant.key, "--kind", "basic",
        "--scope", "messages:read",
    )  # fmt: skip
    assert bad_scope.returncode == 2


async def test_companies_and_templates_are_listed(tenant: Tenant) -> None:
    key = f"{tenant.key}-cli"
    made = json_of(run_optledger(tenant.database, "companies", "create", key, "--json"))
    assert made == {"key": key, "name": key, "default_locale": {"language": "en", "country": "US"}}
    again = run_optledger(tenant.database, "companies", "create", key)
    assert again.returncode == 1
    listed = run_optledger(tenant.database, "companies", "list", "--json")
    assert {tenant.key, key} <= {row["key"] for row in json_of(listed)}
    texts = optledger(tenant, "templates", "list", "--company", tenant.key, "--json")
    assert texts.returncode == 0, texts.stderr
    kinds = {(row["locale"], row["kind"]) for row in json_of(texts)}
    assert ("fr-CA", "OPT_OUT_CONFIRMATION") in kinds
