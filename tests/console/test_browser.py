"""The console in a real browser: signing in, a unit made and its subscriber's timeline,
a refused form, the API documentation offline, a template's SMS count (the fixtures
and the skip rule: tests/support/browser.py)."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, Route, expect

from tests.conftest import Tenant
from tests.support.browser import screenshot, sign_in
from tests.support.helpers import subscribe_active
from tests.support.operator_helpers import make_operator_without_token

DISCLOSURE = "By subscribing you agree to receive marketing texts. Msg & data rates may apply."

# How long a page that renders in script may take on a busy machine.
RENDERING_MS = 30_000


async def test_signing_in_with_a_wrong_password_then_the_right_one(
    page: Page, brand: Tenant
) -> None:
    name = await make_operator_without_token(brand.database, [brand.key])
    await page.goto("/console/units")
    await expect(page).to_have_url(re.compile(r"/console/login\?next="))
    await screenshot(page, "sign-in")
    await sign_in(page, name, "not the password")
    await expect(page.get_by_role("alert")).to_contain_text("wrong operator name or password")
    await expect(page.get_by_label("Username")).to_have_value(name)
    await sign_in(page, name)
    # Back where the operator was going.
    await expect(page).to_have_url(re.compile(r"/console/units$"))
    await expect(page.get_by_role("heading", name="Sign-up Units")).to_be_visible()


async def test_a_unit_made_in_the_console_takes_a_subscriber_whose_timeline_shows_it(
    page: Page, brand: Tenant, server: str
) -> None:
    name = await make_operator_without_token(brand.database, [brand.key])
    await page.goto("/console")
    await sign_in(page, name)
    await page.get_by_role("link", name="Sign-up Units").click()
    await page.get_by_role("link", name="New sign-up unit").click()
    await page.get_by_label("Name").fill("Summer sweepstakes")
    await page.get_by_label("Legal disclosure").fill(DISCLOSURE)
    await page.get_by_label("Requests may ask for single opt-in").check()
    await page.get_by_role("button", name="Create unit").click()
    row = page.locator("tr", has=page.get_by_role("cell", name="Summer sweepstakes", exact=True))
    await expect(row).to_have_count(1)
    await screenshot(page, "units")
    unit_id = (await row.locator("td.id").inner_text()).strip()
    assert unit_id.isdigit()

    async with httpx.AsyncClient(base_url=server, headers=brand.api_headers) as api:
        answer = await subscribe_active(api, "+19148440701", unit_id=unit_id)
        assert answer.status_code == 202, answer.text

    await page.get_by_role("link", name="Subscribers").click()
    await page.get_by_label("Phone, email, client user id, custom identifier or person key").fill(
        "+1 914 844 0701"
    )
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_role("heading", name="Consent timeline")).to_be_visible()
    records = page.locator("table.records")
    await expect(records).to_contain_text("Summer sweepstakes")
    await expect(records).to_contain_text(unit_id)
    await expect(records).to_contain_text(DISCLOSURE)
    await expect(page.locator("ol.timeline")).to_contain_text("subscription_created")
    await screenshot(page, "subscriber")
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator("p.totals")).to_contain_text("1 opt-ins")


async def test_a_refused_form_keeps_what_was_typed(page: Page, brand: Tenant) -> None:
    name = await make_operator_without_token(brand.database, [brand.key])
    await page.goto("/console/units/new")
    await sign_in(page, name)
    await page.get_by_label("Name").fill("Keyword without words")
    await page.get_by_label("Method").select_option("KEYWORD")
    await page.get_by_label("Keywords").fill("STOP")
    await page.get_by_label("Welcome text").fill("Thanks for joining!")
    await page.get_by_role("button", name="Create unit").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_label("Name")).to_have_value("Keyword without words")
    await expect(page.get_by_label("Method")).to_have_value("KEYWORD")
    await expect(page.get_by_label("Keywords")).to_have_value("STOP")
    await expect(page.get_by_label("Welcome text")).to_have_value("Thanks for joining!")
    await screenshot(page, "unit-form-error")
    await page.goto("/console/credentials")
    await screenshot(page, "credentials")


async def test_the_api_documentation_renders_from_this_server_alone(
    page: Page, server: str
) -> None:
    """`/docs` and `/redoc` as a reader offline sees them: every request elsewhere is
    refused (and noted), and the pages' policy blocks nothing of their own."""
    elsewhere: list[str] = []

    async def refuse(route: Route) -> None:
        elsewhere.append(route.request.url)
        await route.abort()

    await page.route(lambda url: not url.startswith((server, "data:", "blob:")), refuse)
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
        else None,
    )  # fmt: skip
    # Both pages lay the whole document out in script, past the default five seconds
    # when the machine is busy.
    await page.goto("/docs")
    await expect(page.locator(".opblock").first).to_be_visible(timeout=RENDERING_MS)
    await expect(page.locator(".info .title")).to_contain_text("optledger")
    await page.goto("/redoc")
    await expect(page.locator("h1").first).to_contain_text("optledger", timeout=RENDERING_MS)
    await expect(page.get_by_text("Subscribers").first).to_be_visible(timeout=RENDERING_MS)
    assert elsewhere == []
    # The policy blocks only what would load from elsewhere (ReDoc's footer logo),
    # never a script, style or inline script of the pages.
    assert all(re.search(r"'https://(?!127\.0\.0\.1)", text) for text in blocked), blocked


async def test_editing_a_template_shows_its_sms_count_change(page: Page, brand: Tenant) -> None:
    name = await make_operator_without_token(brand.database, [brand.key])
    await page.goto("/console")
    await sign_in(page, name)
    await page.get_by_role("link", name="Templates").click()
    await page.get_by_role("link", name="Edit Welcome (en-US)").click()
    count = page.locator("#sms-count")
    await expect(count).to_contain_text("GSM-7")
    text = page.get_by_label("Text")
    await text.fill("{company}: " + "Thanks for joining! " * 4)
    await page.get_by_role("button", name="Preview").click()
    await expect(count).to_contain_text("1 SMS segment ·")
    await expect(page.locator("#preview-text")).to_contain_text("Browser Brand: Thanks")
    await text.fill("{company}: " + "Thanks for joining! " * 4 + "🎉")
    await page.get_by_role("button", name="Preview").click()
    await expect(count).to_contain_text("2 SMS segments")
    await expect(count).to_contain_text("UCS-2")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").first).to_contain_text("Saved")
    await expect(text).to_have_value(re.compile("🎉$"))
    await screenshot(page, "template-form")
    await page.get_by_role("button", name="Reset to built-in").click()
    await expect(page.locator("p.notice")).to_contain_text("Back to the built-in text")
    await expect(text).to_have_value(re.compile(r"^\{company\}: You are now subscribed"))
