"""The operator's daily jobs in a real browser, each from the first click to its result:
a list imported and exported, a webhook registered, tested and redelivered, a
subscriber unsubscribed and the audit trail read, another company found and switched
to (the fixtures: tests/support/browser.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from playwright.async_api import Page, expect

from optledger.core.use_cases.import_jobs import run_import_jobs
from optledger.delivery.webhook_client import WebhookClient
from optledger.delivery.webhooks import WebhookJobs
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support import webhook_fixtures
from tests.support.browser import screenshot, sign_in, sign_in_to
from tests.support.helpers import subscribe_active
from tests.support.operator_helpers import make_operator_without_token
from tests.support.webhook_fixtures import deliver_due
from tests.support.webhook_receiver import Receiver, verify

IMPORTED = ["+19148440101", "+19148440102", "+19148440103"]
REFUSED = "914-not-a-phone"
SUBSCRIBED = ["+19148440201", "+19148440202", "+19148440203"]
LEASE = timedelta(seconds=60)


receiver = webhook_fixtures.receiver
http = webhook_fixtures.http


def spreadsheet(*phones: str) -> bytes:
    lines = ["phone,email,opted_in_at", *(f"{phone},,2024-01-02" for phone in phones)]
    return ("\n".join(lines) + "\n").encode()


async def test_a_list_uploaded_is_followed_to_done_then_exported(
    page: Page, brand: Tenant, browser_database: Database, server_settings: Settings
) -> None:
    await sign_in_to(page, brand, "/console/imports")
    await page.get_by_label("Sign-up unit the consent was collected for").select_option(
        brand.unit_id("MARKETING")
    )
    await page.get_by_label("CSV file").set_input_files(
        {
            "name": "spring list.csv",
            "mimeType": "text/csv",
            "buffer": spreadsheet(*IMPORTED, REFUSED),
        }
    )
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page).to_have_url(re.compile(r"/console/imports/\d+$"))
    state = page.locator("#state")
    await expect(state).to_contain_text("queued")
    await expect(state).to_contain_text("this page refreshes itself")

    # The worker's step, while the page waits: it reloads itself (meta refresh) to "done".
    assert await run_import_jobs(browser_database, server_settings.resolved_import_dir, LEASE) == 1
    await expect(state).to_have_text("done")
    await expect(page.locator("#rows")).to_have_text("4 of 4 (100%)")
    await expect(page.locator("#imported")).to_have_text("3")
    async with page.expect_download() as refused_rows:
        await page.get_by_role("link", name="errors.csv").click()
    errors = (await (await refused_rows.value).path()).read_text()
    assert REFUSED in errors
    await screenshot(page, "import-job")
    await page.get_by_role("link", name="All imports").click()
    await expect(page.locator("table.imports tbody tr")).to_contain_text("spring list.csv")
    await screenshot(page, "imports")

    await page.get_by_role("link", name="Export").click()
    await screenshot(page, "export")
    async with page.expect_download() as exported:
        await page.get_by_role("button", name="Download").click()
    download = await exported.value
    assert download.suggested_filename == f"optledger-{brand.key}-ledger.csv"
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text())))
    records = [row for row in rows if row["kind"] == "record"]
    assert sorted(row["contact_value"] for row in records) == IMPORTED
    assert {row["status"] for row in records} == {"ACTIVE"}
    events = [row for row in rows if row["kind"] == "event"]
    assert {row["record_id"] for row in events} >= {row["id"] for row in records}


async def test_a_webhook_registered_tested_and_redelivered(
    page: Page,
    brand: Tenant,
    browser_database: Database,
    receiver: Receiver,
    http: WebhookClient,
) -> None:
    await sign_in_to(page, brand)
    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_role("link", name="New webhook").click()
    await page.get_by_label("URL").fill(receiver.url)
    await page.get_by_label("sms.subscribed").check()
    await page.get_by_label("sms.unsubscribed").check()
    await screenshot(page, "webhook-form")
    await page.get_by_role("button", name="Register").click()

    await expect(page.get_by_role("status")).to_contain_text("shown this once")
    signing_key = await page.locator("dl.secret code.copy").first.inner_text()
    await page.get_by_role("link", name="Done").click()
    await expect(page.get_by_role("heading", level=2, name="Deliveries")).to_be_visible()
    # Shown once: the registration's own page never shows it again.
    assert signing_key not in await page.content()

    await page.get_by_role("button", name="Send test event").click()
    await expect(page.get_by_role("status")).to_contain_text("queued")
    row = page.locator("tr[data-event-id]")
    await expect(row).to_have_count(1)
    event_id = await row.get_attribute("data-event-id")
    await expect(row).to_contain_text("pending")

    await deliver_due(browser_database, WebhookJobs(http))
    [test_event] = receiver.delivered()
    assert verify(test_event, signing_key)["test"] is True
    assert test_event.event_id == f"evt_{event_id}"
    await page.reload()
    await expect(row).to_contain_text("delivered")

    await page.get_by_role("button", name=f"Redeliver evt_{event_id}").click()
    await expect(page.get_by_role("status")).to_contain_text(f"evt_{event_id} queued again")
    await expect(row).to_contain_text("pending")
    await deliver_due(browser_database, WebhookJobs(http))
    assert [r.event_id for r in receiver.delivered()] == [f"evt_{event_id}"] * 2
    # The log again, without the notice of the redelivery.
    await page.goto(page.url.split("?")[0])
    await expect(row).to_contain_text("delivered")
    await screenshot(page, "webhook-deliveries")


async def test_a_subscriber_unsubscribed_with_a_reason_shows_in_the_audit_trail(
    page: Page, brand: Tenant, server: str
) -> None:
    async with httpx.AsyncClient(base_url=server, headers=brand.api_headers) as api:
        for phone in SUBSCRIBED:
            answer = await subscribe_active(api, phone, unit_id=brand.unit_id("MARKETING"))
            assert answer.status_code == 202, answer.text
    name = await sign_in_to(page, brand, "/console/subscribers")
    await page.get_by_label("Phone, email, client user id, custom identifier or person key").fill(
        "+1 914 844 0201"
    )
    await page.get_by_role("button", name="Find").click()
    await page.get_by_role("link", name=re.compile(r"^Unsubscribe record #\d+$")).click()
    reason = "Asked by phone to stop, ticket 4411"
    await page.get_by_label("Reason").fill(reason)
    await screenshot(page, "unsubscribe-form")
    await page.get_by_role("button", name="Unsubscribe").click()
    await expect(page.locator("table.records")).to_contain_text("ENDED")
    await expect(page.locator("ol.timeline")).to_contain_text(reason)

    await page.get_by_role("link", name="Audit trail").click()
    await page.get_by_label("Operator").fill(name)
    await page.get_by_label("Object type").fill("record")
    await page.get_by_role("button", name="Filter").click()
    entry = page.locator("tbody tr")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("record.unsubscribed")
    await expect(entry.locator("ins")).to_contain_text([reason, "ENDED"])
    await expect(entry.locator("del")).to_contain_text(["ACTIVE"])
    await screenshot(page, "audit")

    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator("#active-total")).to_have_text(str(len(SUBSCRIBED) - 1))
    await expect(page.locator("#opt-ins-today")).to_have_text(str(len(SUBSCRIBED)))
    await expect(page.locator("#opt-outs-today")).to_have_text("1")
    await expect(page.locator("#opt-out-rate")).to_contain_text("33.33")
    await screenshot(page, "dashboard")

    await page.get_by_role("link", name="Lists").click()
    await page.get_by_role("link", name="New list").click()
    await page.get_by_label("Name").fill("VIP early access")
    await page.get_by_label("Description").fill("Drops before everyone else")
    await page.get_by_role("button", name="Create list").click()
    await expect(page.locator("tr[data-list-id]", has_text="VIP early access")).to_have_count(1)
    await screenshot(page, "lists")


async def test_another_company_is_found_and_switched_to(
    page: Page, brand: Tenant, browser_database: Database
) -> None:
    other = await make_tenant(browser_database, name="Harbor Outfitters")
    name = await make_operator_without_token(browser_database, [brand.key, other.key])
    await page.goto("/console")
    await sign_in(page, name)
    company = page.locator("header .company")
    # The operator starts in one of them (the first by key): the test goes to the other.
    starting = await company.inner_text()
    wanted = "Browser Brand" if starting == "Harbor Outfitters" else "Harbor Outfitters"
    await page.get_by_label("Other company").fill(wanted.split()[0].lower())
    await page.get_by_role("button", name="Find", exact=True).click()
    found = page.locator("tr[data-company-key]")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text(wanted)
    await screenshot(page, "companies")
    await page.get_by_role("button", name=f"Switch to {wanted}").click()
    await expect(company).to_have_text(wanted)
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
