"""Every console page, checked by axe-core in the browser: no serious or critical
violation (missing labels, contrast, landmarks, headings, table headers...).

The pages are those of one company with something on each: a subscriber with an
ACTIVE record, a finished import, a webhook with a delivery in its log. axe runs as
an injected script, which the console's policy forbids: this module's browser
context alone bypasses the policy (the other browser tests keep it in force).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext

from optledger.core.audit import Actor
from optledger.core.context import RequestContext
from optledger.core.import_jobs import Upload
from optledger.core.use_cases.import_jobs import run_import_jobs, submit_import
from optledger.core.use_cases.webhook_deliveries import send_test_event
from optledger.core.use_cases.webhooks import register_webhook
from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.browser import WAITING_MS, sign_in
from tests.support.helpers import subscribe_active
from tests.support.operator_helpers import make_operator_without_token

BLOCKING = {"serious", "critical"}
PHONE = "+19148440301"
AXE = Axe()
# Every page, by what it is...
PATHS = {
    "dashboard": "/console",
    "units": "/console/units",
    "unit form": "/console/units/new",
    "lists": "/console/lists",
    "list form": "/console/lists/new",
    "subscribers": "/console/subscribers",
    "messages": "/console/messages",
    "templates": "/console/templates",
    "template form": "/console/templates/edit?locale=en-US&kind=WELCOME",
    "webhooks": "/console/webhooks",
    "webhook form": "/console/webhooks/new?style=attentive",
    "callback form": "/console/webhooks/new?style=vibes",
    "credentials": "/console/credentials",
    "audit": "/console/audit",
    "imports": "/console/imports",
    "export": "/console/export",
    "company search": "/console/companies?q=brand",
    "sign-in": "/console/login",
}
# ... and those of the furnished company's objects, found by the fixtures.
FURNISHED = ("subscriber page", "record action form", "webhook deliveries", "import job")


@dataclass
class Furnished:
    """The operator of the furnished company, and the paths of its objects by page name."""

    operator: str
    paths: dict[str, str]


def put_upload(path: Path) -> None:
    """The file as the upload form would have left it in the import folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("phone,email,opted_in_at\n+19148440302,,2024-01-02\nnot-a-phone,,2024-01-02\n")


async def furnish_import(tenant: Tenant, database: Database, folder: Path) -> int:
    """An import job, uploaded and run by the worker's step, with one refused row."""
    put_upload(folder / "autumn.csv")
    job_id = await submit_import(
        database,
        tenant.key,
        tenant.unit_id("MARKETING"),
        Upload("autumn.csv", "autumn.csv", []),
        folder,
        actor=Actor("importer"),
    )
    await run_import_jobs(database, folder, timedelta(seconds=60))
    return job_id


async def furnish_webhook(tenant: Tenant, database: Database, settings: Settings) -> str:
    """A webhook (to a port nobody answers: nothing delivers in this module) with a test
    event in its log."""
    spec = WebhookSpec(url="http://127.0.0.1:9/hooks", events=["sms.subscribed"])
    webhook = await register_webhook(
        database, tenant.company_id, WebhookStyle.ATTENTIVE, spec, settings=settings, actor=None
    )
    context = RequestContext(source="console", client_ip=None, user_agent=None)
    await send_test_event(
        database, tenant.company_id, WebhookStyle.ATTENTIVE, webhook.id, context, actor=None
    )
    return f"/console/webhooks/attentive/{webhook.id}"


@pytest.fixture(scope="module")
async def furnished(
    browser_database: Database, server: str, server_settings: Settings
) -> Furnished:
    """The operator of a company with something on every page (and of a second company,
    so that the header shows the company search too)."""
    tenant = await make_tenant(browser_database, name="Accessible Brand")
    second = await make_tenant(browser_database, name="Second Brand")
    async with httpx.AsyncClient(base_url=server, headers=tenant.api_headers) as api:
        answer = await subscribe_active(api, PHONE, unit_id=tenant.unit_id("MARKETING"))
        assert answer.status_code == 202, answer.text
    job_id = await furnish_import(tenant, browser_database, server_settings.resolved_import_dir)
    webhook = await furnish_webhook(tenant, browser_database, server_settings)
    name = await make_operator_without_token(browser_database, [tenant.key, second.key])
    paths = {"import job": f"/console/imports/{job_id}", "webhook deliveries": webhook}
    return Furnished(name, paths)


@pytest.fixture(scope="module")
async def checked_context(
    chromium: Browser, server: str, furnished: Furnished
) -> AsyncIterator[BrowserContext]:
    """A signed-in context whose pages run injected scripts (axe's) despite the policy,
    looking at the furnished company; it finds the subscriber's paths."""
    context = await chromium.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(WAITING_MS)
    page = await context.new_page()
    await page.goto("/console/companies?q=Accessible")
    await sign_in(page, furnished.operator)
    switch = page.get_by_role("button", name="Switch to Accessible Brand")
    if await switch.count():
        await switch.click()
    await page.goto(f"/console/subscribers?q={quote(PHONE)}")
    await page.wait_for_url(re.compile(r"/console/subscribers/[^/?]+$"))
    furnished.paths["subscriber page"] = page.url.removeprefix(server)
    form = page.get_by_role("link", name=re.compile(r"^Unsubscribe record #\d+$"))
    furnished.paths["record action form"] = str(await form.get_attribute("href"))
    await page.close()
    yield context
    await context.close()


def blocking(results: dict[str, Any]) -> list[str]:
    """The serious and critical violations, each with the elements it was found on."""
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(node["html"] for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("name", [*PATHS, *FURNISHED])
async def test_a_console_page_has_no_serious_accessibility_violation(
    name: str,
    chromium: Browser,
    checked_context: BrowserContext,
    furnished: Furnished,
    server: str,
) -> None:
    if name == "sign-in":
        context = await chromium.new_context(base_url=server, bypass_csp=True)
        context.set_default_timeout(WAITING_MS)
    else:
        context = checked_context
    page = await context.new_page()
    try:
        shown = await page.goto(PATHS.get(name) or furnished.paths[name])
        assert shown is not None
        assert shown.status == 200, await page.content()
        results = await AXE.run(page)
    finally:
        await page.close()
        if context is not checked_context:
            await context.close()
    found = blocking(results.response)
    assert not found, "\n".join(found)
