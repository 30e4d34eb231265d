"""A change through each door is recorded with who made it, from where, and before and
after; a company's own integrations record nothing; secrets never go in."""

from __future__ import annotations

import getpass
import json

import httpx
import pytest

from optledger.core.use_cases.audit import AuditEntry, AuditFilter, list_audit
from optledger.settings import Settings
from tests.conftest import TEST_SECRET, Tenant
from tests.support.console_forms import post_form
from tests.support.helpers import run_optledger
from tests.support.operator_helpers import make_operator, make_operator_without_token

OLD = "Old text. Msg & data rates may apply. Reply STOP to cancel."
NEW = "New text. Msg & data rates may apply. Reply STOP to cancel."
# httpx's ASGI transport says every request comes from here.
CLIENT_IP = "127.0.0.1"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        allow_http_webhooks=True,
        webhook_allowed_networks="192.0.2.0/24",  # type: ignore[arg-type]
    )


async def entries(
    tenant: Tenant, object_type: str | None = None, object_id: str | None = None
) -> list[AuditEntry]:
    """The tenant's entries, newest first, of one object type and id if given."""
    wanted = AuditFilter(tenant.company_id, object_type=object_type, object_id=object_id)
    return await list_audit(tenant.database, wanted)


async def new_unit(app_client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str]) -> int:
    made = await app_client.post(
        f"/manage/v1/companies/{tenant.key}/units",
        headers=headers,
        json={
            "name": "Audited",
            "type": "MARKETING",
            "channels": ["TEXT"],
            "locale": {"language": "en", "country": "US"},
            "legal_disclosure": OLD,
        },
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def disclosure_change(entry: AuditEntry, before: str, after: str) -> None:
    """Only what changed is kept: the disclosure, with its text before and after."""
    assert entry.action == "unit.updated"
    assert entry.changes == {"legal_disclosure": {"before": before, "after": after}}


async def test_a_disclosure_changed_through_each_door_is_recorded(
    tenant: Tenant, app_client: httpx.AsyncClient, console: httpx.AsyncClient, operator: str
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    unit_id = await new_unit(app_client, tenant, manager.headers)
    created = await entries(tenant, object_type="unit", object_id=str(unit_id))
    assert [entry.action for entry in created] == ["unit.created"]
    assert created[0].changes["legal_disclosure"] == {"before": None, "after": OLD}

    patched = await app_client.patch(
        f"/manage/v1/companies/{tenant.key}/units/{unit_id}",
        headers=manager.headers,
        json={"legal_disclosure": NEW},
    )
    assert patched.status_code == 200, patched.text
    done = run_optledger(
        tenant.database, "units", "update", str(unit_id), "--company", tenant.key,
        "--disclosure", OLD,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    page = f"/console/units/{unit_id}/edit"
    posted = await post_form(
        console, page, page, name="Audited", channels=["TEXT"], language="en", country="US",
        legal_disclosure=NEW, double_opt_in="on",
    )  # fmt: skip
    assert posted.status_code == 303, posted.text

    by_console, by_cli, by_api, _ = await entries(
        tenant, object_type="unit", object_id=str(unit_id)
    )
    disclosure_change(by_api, OLD, NEW)
    assert (by_api.actor, by_api.client_ip) == (manager.name, CLIENT_IP)
    disclosure_change(by_cli, NEW, OLD)
    assert (by_cli.actor, by_cli.client_ip) == (f"cli:{getpass.getuser()}", None)
    # The form posts every field; those typed as they were are no change.
    assert by_console.action == "unit.updated"
    assert by_console.changes["legal_disclosure"] == {"before": OLD, "after": NEW}
    assert "name" not in by_console.changes
    assert (by_console.actor, by_console.client_ip) == (operator, CLIENT_IP)
    assert by_api.company_id == by_cli.company_id == by_console.company_id == tenant.company_id


async def test_a_refused_change_records_nothing(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    unit_id = await new_unit(app_client, tenant, manager.headers)
    refused = await app_client.patch(
        f"/manage/v1/companies/{tenant.key}/units/{unit_id}",
        headers=manager.headers,
        json={"legal_disclosure": ""},
    )
    assert refused.status_code == 400, refused.text
    recorded = await entries(tenant, object_type="unit", object_id=str(unit_id))
    assert [entry.action for entry in recorded] == ["unit.created"]


async def test_a_credential_is_recorded_without_its_secret(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    base = f"/manage/v1/companies/{tenant.key}/credentials"
    minted = await app_client.post(
        base, headers=manager.headers, json={"kind": "api_key", "name": "shop"}
    )
    assert minted.status_code == 201, minted.text
    shown = minted.json()
    revoked = await app_client.post(f"{base}/{shown['id']}/revoke", headers=manager.headers)
    assert revoked.status_code == 200, revoked.text

    revoke, create = await entries(tenant, object_type="credential", object_id=str(shown["id"]))
    assert (create.action, revoke.action) == ("credential.created", "credential.revoked")
    assert revoke.actor == manager.name
    assert revoke.changes["state"] == {"before": "live", "after": "revoked"}
    assert revoke.changes["name"]["after"] == "shop"
    written = json.dumps([create.changes, revoke.changes])
    secrets = [value for name, value in shown.items() if "secret" in name or "token" in name]
    assert secrets
    for secret in secrets:
        assert str(secret) not in written


async def test_a_template_and_the_twilio_token_from_the_cli(tenant: Tenant) -> None:
    token = "twilio-auth-token-0123456789abcdef"
    for args in (
        ("templates", "set", "--company", tenant.key, "--locale", "en-US",
         "--kind", "WELCOME", "Hello from us"),
        ("twilio", "set-token", "--company", tenant.key, token),
    ):  # fmt: skip
        done = run_optledger(tenant.database, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    twilio, template = await entries(tenant)
    assert (template.action, template.object_type, template.object_id) == (
        "template.set", "template", "en-US/WELCOME"
    )  # fmt: skip
    assert template.changes["text"]["after"] == "Hello from us"
    assert template.changes["source"] == {"before": "built_in", "after": "company"}
    assert twilio.action == "twilio.token_set"
    assert token not in json.dumps(twilio.changes)


async def test_a_company_integration_records_nothing_an_operator_does(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    made = await client.post(
        "/v1/webhooks", json={"url": "https://192.0.2.10/consent", "events": ["sms.subscribed"]}
    )
    assert made.status_code in (200, 201), made.text
    assert await entries(tenant, object_type="webhook") == []


async def test_operator_changes_from_the_cli_name_no_company_and_no_password(
    tenant: Tenant,
) -> None:
    name = await make_operator_without_token(tenant.database, [tenant.key])
    for args in (("access", name.upper(), "--all"), ("reset-password", name)):
        done = run_optledger(tenant.database, "operator", *args)
        assert done.returncode == 0, done.stdout + done.stderr
    password = done.stdout.split("password: ")[1].strip()

    reset, access = await list_audit(
        tenant.database, AuditFilter(object_type="operator", object_id=name)
    )
    assert access.action == "operator.companies_set"
    assert access.changes == {"companies": {"before": [tenant.key], "after": "every company"}}
    assert (reset.action, reset.changes, reset.company_id) == (
        "operator.password_changed", {}, None
    )  # fmt: skip
    assert password not in repr([access, reset])
