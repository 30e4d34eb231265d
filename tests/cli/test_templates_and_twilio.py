"""The operator's commands, run as the installed `optledger` program."""

from __future__ import annotations

import json
import subprocess

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.company_settings import company_setting
from optledger.storage.database import Database
from optledger.storage.tables import Company
from tests.conftest import Outbox, Tenant
from tests.support.helpers import run_optledger, subscribe
from tests.support.sink import HttpSink

PHONE = "+19148440031"


def optledger(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return run_optledger(database, *args)


async def company(tenant: Tenant) -> Company:
    async def query(session: AsyncSession) -> Company:
        return await session.get_one(Company, tenant.company_id)

    return await tenant.database.inspect(query)


async def test_templates_set_overrides_a_companys_text_per_locale(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    text = "{company}: Please answer Y to join. {disclosure}"
    done = optledger(
        tenant.database, "templates", "set", "--company", tenant.key, "--locale", "en-US",
        "--kind", "CONFIRMATION_PROMPT", text,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    await subscribe(client, PHONE)
    await outbox.deliver()
    [prompt] = http_sink.to(PHONE, tenant.key)
    assert prompt["body"].startswith("Acme: Please answer Y to join. By subscribing")

    refused = optledger(
        tenant.database, "templates", "set", "--company", tenant.key, "--locale", "en-US",
        "--kind", "HELP", "{unknown} help",
    )  # fmt: skip
    assert refused.returncode == 1
    assert "unknown placeholders" in refused.stdout
    reset = optledger(
        tenant.database, "templates", "set", "--company", tenant.key, "--locale", "en-US",
        "--kind", "CONFIRMATION_PROMPT", "--reset",
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert company_setting((await company(tenant)).settings, ("templates", "en-US")) == {}


async def test_templates_list_counts_sms_segments(tenant: Tenant) -> None:
    emoji = "{company} 🎉 " + "x" * 70
    done = optledger(
        tenant.database, "templates", "set", "--company", tenant.key, "--locale", "fr-CA",
        "--kind", "HELP", emoji,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = optledger(tenant.database, "templates", "list", "--company", tenant.key, "--json")
    assert listed.returncode == 0, listed.stderr
    found = {(t["locale"], t["kind"]): t for t in json.loads(listed.stdout)}
    # "Acme 🎉 xx...": the emoji's two code units make 78, two UCS-2 parts.
    assert found["fr-CA", "HELP"] | {"text": ""} == {
        "locale": "fr-CA", "kind": "HELP", "text": "", "source": "company",
        "encoding": "UCS-2", "characters": 78, "segments": 2,
    }  # fmt: skip
    help_en = found["en-US", "HELP"]
    assert (help_en["encoding"], help_en["segments"]) == ("GSM-7", 1)
    assert help_en["characters"] == len(help_en["text"].replace("{company}", "Acme"))
    table = optledger(tenant.database, "templates", "list", "--company", tenant.key)
    assert "segments" in table.stdout
    assert "2 (UCS-2, 78)" in table.stdout


async def test_messages_command_lists_what_was_sent(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox
) -> None:
    await subscribe(client, PHONE)
    await outbox.deliver()
    done = optledger(tenant.database, "messages", "--to", PHONE, "--company", tenant.key)
    assert done.returncode == 0, done.stderr
    assert "CONFIRMATION_PROMPT" in done.stdout
    assert "sent" in done.stdout


async def test_twilio_set_token_keeps_it_in_the_company_settings(tenant: Tenant) -> None:
    done = optledger(tenant.database, "twilio", "set-token", "--company", tenant.key, "tok")
    assert done.returncode == 0, done.stderr
    assert company_setting((await company(tenant)).settings, ("twilio", "auth_token")) == "tok"
