"""The links in emails, end to end: HTTP API in, real SMTP server out, a browser back.

Email double opt-in is answered by the signed `/c/{token}` link of the prompt (a GET
shows a button, only a POST confirms); every email carries RFC 8058 one-click
unsubscribe headers whose URL, POSTed with no cookie or login, ends the address's
subscription to the list.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.core.catalog import load_catalog
from optledger.core.companies import get_company_by_key
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.consent_links import (
    DEFAULT_PUBLIC_BASE_URL,
    ONE_CLICK,
    link_signer,
    mint_unsubscribe_links,
)
from optledger.core.errors import InvalidContactPoint, InvalidInput, NotFound
from optledger.delivery.jobs import expire_prompts
from optledger.delivery.transports.base import Transport
from optledger.delivery.transports.webhook import WebhookTransport
from optledger.delivery.worker import DeliveryPolicy, deliver_due
from optledger.settings import Settings, get_settings
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.sql import Connection
from tests.conftest import Outbox, Tenant
from tests.support.helpers import events, make_unit, records, subscribe
from tests.support.sink import HttpSink, SmtpSink

BROWSER_IP = "203.0.113.9"
BROWSER_AGENT = "ExampleMail/2.0 (link preview)"
MARKETING_EMAIL = ("MARKETING", "EMAIL")
CONFIRM_LINK = re.compile(r"https?://\S+/c/[A-Za-z0-9_.-]+")
UNSUBSCRIBE_LINK = re.compile(r"<(https?://[^>]+/u/[A-Za-z0-9_.-]+)>")


@pytest.fixture
async def browser(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Someone who clicked a link in an email: no credential, no cookie, an address."""
    app = create_app(settings, database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(BROWSER_IP, 4711))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"user-agent": BROWSER_AGENT},
        ) as client:
            yield client


async def email_eligibility(client: httpx.AsyncClient, address: str) -> dict[Any, bool]:
    response = await client.get("/v1/subscriptions", params={"email": address})
    assert response.status_code == 200, response.text
    return {
        (item["subscription"]["type"], item["subscription"]["channel"]): item["eligibility"][
            "isEligible"
        ]
        for item in response.json()["subscriptionEligibilities"]
    }


def path_of(url: str) -> str:
    return urlsplit(url).path


def confirm_link(email: Any) -> str:
    [link] = CONFIRM_LINK.findall(email.get_content())
    return str(link)


def unsubscribe_link(headers: Any) -> str:
    found = UNSUBSCRIBE_LINK.search(str(headers["List-Unsubscribe"]))
    assert found is not None, headers["List-Unsubscribe"]
    return found[1]


def assert_page(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    for word in words:
        assert word in response.text, (word, response.text)


def assert_one_click_headers(email: Any) -> None:
    assert email["List-Unsubscribe-Post"] == ONE_CLICK
    assert unsubscribe_link(email).startswith(f"{DEFAULT_PUBLIC_BASE_URL}/u/")


async def pending_email(client: httpx.AsyncClient, tenant: Tenant, address: str) -> None:
    unit_id = await make_unit(tenant, email_double_opt_in=True)
    response = await subscribe(client, email=address, unit_id=unit_id)
    assert response.status_code == 202, response.text
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "PENDING"


async def test_the_prompt_links_to_a_page_that_confirms_only_when_its_button_is_pressed(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    smtp_sink: SmtpSink,
) -> None:
    address = f"confirm-{tenant.key}@example.com"
    await pending_email(client, tenant, address)
    await outbox.deliver()
    [prompt] = smtp_sink.to(address)
    link = confirm_link(prompt)
    assert link.startswith(f"{DEFAULT_PUBLIC_BASE_URL}/c/")
    assert "Msg & data rates may apply" in prompt.get_content()  # the unit's disclosure
    assert_one_click_headers(prompt)

    # A mail scanner (or a person) looks: a button, and nothing confirmed.
    for _ in range(2):
        shown = await browser.get(path_of(link))
        assert_page(shown, 200, "Confirm your subscription", address, "Acme", '<form method="post"')
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "PENDING"
    assert await email_eligibility(client, address) == {MARKETING_EMAIL: False}

    confirmed = await browser.post(path_of(link))
    assert_page(confirmed, 200, "Subscription confirmed", address)
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "ACTIVE"
    assert record.opt_in_date is not None
    assert await email_eligibility(client, address) == {MARKETING_EMAIL: True}
    [event] = await events(tenant.database, tenant.company_id, "subscription_confirmed")
    assert event.record_id == record.id
    assert event.data["source"] == "email_link"
    assert (event.client_ip, event.user_agent) == (BROWSER_IP, BROWSER_AGENT)

    await outbox.deliver()
    prompt_again, welcome = smtp_sink.to(address)
    assert prompt_again["Message-ID"] == prompt["Message-ID"]
    assert "You are now subscribed" in welcome.get_content()
    assert_one_click_headers(welcome)

    # The link is used: it says so, and confirms nothing twice.
    for method in ("POST", "GET"):
        again = await browser.request(method, path_of(link))
        assert_page(again, 200, "Already confirmed")
    assert len(await events(tenant.database, tenant.company_id, "subscription_confirmed")) == 1
    await outbox.deliver()
    assert len(smtp_sink.to(address)) == 2


async def test_an_expired_link_gets_a_page_that_says_so(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    settings: Settings,
) -> None:
    address = f"late-{tenant.key}@example.com"
    await pending_email(client, tenant, address)
    [record] = await records(tenant.database, tenant.company_id, address)
    ttl = timedelta(hours=settings.confirmation_ttl_hours)

    async def issued(connection: Connection, age: timedelta) -> str:
        signer = await link_signer(connection)
        return signer.confirm_token(tenant.company_id, record.id, issued_at=utcnow() - age)

    old = await tenant.database.run(lambda c: issued(c, ttl + timedelta(minutes=1)))
    fresh = await tenant.database.run(lambda c: issued(c, ttl - timedelta(minutes=1)))
    for method in ("GET", "POST"):
        assert_page(await browser.request(method, f"/c/{old}"), 410, "This link has expired")
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "PENDING"
    assert_page(await browser.get(f"/c/{fresh}"), 200, "Confirm your subscription")

    # Once the prompt itself expired, no link confirms it.
    await expire_prompts(tenant.database, timedelta(0))
    for method in ("GET", "POST"):
        assert_page(await browser.request(method, f"/c/{fresh}"), 410, "This link has expired")
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "EXPIRED"


async def test_tampered_and_garbage_tokens_get_a_clear_page_never_a_500(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    smtp_sink: SmtpSink,
) -> None:
    address = f"tamper-{tenant.key}@example.com"
    await pending_email(client, tenant, address)
    await outbox.deliver()
    [prompt] = smtp_sink.to(address)
    token = path_of(confirm_link(prompt)).removeprefix("/c/")
    payload, signature = token.split(".")
    # Another record of the same company, with the signature of this one.
    other = payload.replace(payload[3], "x" if payload[3] != "x" else "y", 1)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    unsubscribe_token = path_of(unsubscribe_link(prompt)).removeprefix("/u/")
    for bad in (
        f"{payload}.{flipped}",
        f"{other}.{signature}",
        payload,
        "not-a-token",
        "....",
        "%ff",
        unsubscribe_token,  # signed, but for the other kind of link
    ):
        for method in ("GET", "POST"):
            assert_page(await browser.request(method, f"/c/{bad}"), 404, "not valid")
            if bad != unsubscribe_token:
                assert_page(await browser.request(method, f"/u/{bad}"), 404, "not valid")
    assert_page(await browser.get(f"/u/{token}"), 404, "not valid")  # confirm token as unsubscribe
    # A control character in a path is refused before any page reads it, as on every route.
    for kind in ("c", "u"):
        assert_page(await browser.get(f"/{kind}/%00%ff"), 400, "not valid")
    assert_page(await browser.get(f"/c/{'A' * 5000}"), 400)
    assert_page(await browser.get("/c/"), 404, "Page not found")
    refused = await browser.put(f"/c/{token}")
    assert_page(refused, 405)
    assert set(refused.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "PENDING"


async def test_every_email_carries_one_click_unsubscribe_and_the_post_ends_the_subscription(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    smtp_sink: SmtpSink,
) -> None:
    address = f"leaver-{tenant.key}@example.com"
    other = f"stayer-{tenant.key}@example.com"
    pending = f"pending-{tenant.key}@example.com"
    for each in (address, other):
        assert (await subscribe(client, email=each)).status_code == 202  # ACTIVE, welcome
    await pending_email(client, tenant, pending)
    await outbox.deliver()
    sent = [*smtp_sink.to(address), *smtp_sink.to(other), *smtp_sink.to(pending)]
    assert len(sent) == 3
    for email in sent:
        assert_one_click_headers(email)
    [welcome] = smtp_sink.to(address)
    link = unsubscribe_link(welcome)
    assert link != unsubscribe_link(smtp_sink.to(other)[0])

    shown = await browser.get(path_of(link))
    assert_page(shown, 200, "Unsubscribe", address, 'name="List-Unsubscribe" value="One-Click"')
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "ACTIVE"

    # What a mailbox provider sends (RFC 8058): no cookie, no credential.
    done = await browser.post(
        path_of(link),
        content=ONE_CLICK,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_page(done, 200, "You are unsubscribed")
    [record] = await records(tenant.database, tenant.company_id, address)
    assert (record.status, record.opt_out_reason) == ("ENDED", "user_opt_out")
    assert record.opt_out_date is not None
    assert await email_eligibility(client, address) == {MARKETING_EMAIL: False}
    assert await email_eligibility(client, other) == {MARKETING_EMAIL: True}
    [ended] = await events(tenant.database, tenant.company_id, "subscription_ended")
    assert ended.record_id == record.id
    assert ended.data["source"] == "email_link"
    assert ended.data["reason"] == "user_opt_out"
    assert (ended.client_ip, ended.user_agent) == (BROWSER_IP, BROWSER_AGENT)

    # Again (providers retry): still 200, recorded as a repeat, nothing more ended.
    assert_page(await browser.post(path_of(link)), 200, "You are unsubscribed")
    assert len(await events(tenant.database, tenant.company_id, "unsubscribe_repeated")) == 1
    assert len(await records(tenant.database, tenant.company_id, address)) == 1
    # An opt-out sends no email.
    await outbox.deliver()
    assert len(smtp_sink.to(address)) == 1

    # The prompt's own link takes the address off before it ever confirmed.
    [prompt] = smtp_sink.to(pending)
    assert_page(await browser.post(path_of(unsubscribe_link(prompt))), 200)
    [record] = await records(tenant.database, tenant.company_id, pending)
    assert (record.status, record.opt_out_reason) == ("ENDED", "user_opt_out")
    assert_page(await browser.post(path_of(confirm_link(prompt))), 410, "no longer be used")


async def test_the_webhook_transport_carries_an_emails_headers(
    client: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    database: Database,
    http_sink: HttpSink,
) -> None:
    address = f"hooked-{tenant.key}@example.com"
    phone = "+19148440777"
    assert (await subscribe(client, phone, address)).status_code == 202
    async with httpx.AsyncClient(timeout=2) as http:
        transports: dict[str, Transport] = {
            "TEXT": WebhookTransport(http, http_sink.url),
            "EMAIL": WebhookTransport(http, http_sink.url),
        }
        while await deliver_due(database, transports, DeliveryPolicy(backoff_base_seconds=0)):
            pass
    [email] = http_sink.to(address, tenant.key)
    assert email["channel"] == "EMAIL"
    assert email["headers"]["List-Unsubscribe-Post"] == ONE_CLICK
    assert unsubscribe_link(email["headers"]).startswith(f"{DEFAULT_PUBLIC_BASE_URL}/u/")
    [text] = http_sink.to(phone, tenant.key)
    assert "headers" not in text


@pytest.fixture
def unsubscribe_mailto(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process configured with OPTLEDGER_UNSUBSCRIBE_MAILTO."""
    monkeypatch.setenv("OPTLEDGER_UNSUBSCRIBE_MAILTO", "unsubscribe@acme.example")
    get_settings.cache_clear()
    yield "unsubscribe@acme.example"
    get_settings.cache_clear()


async def test_a_mailto_is_offered_beside_the_url_where_configured(
    client: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    smtp_sink: SmtpSink,
    unsubscribe_mailto: str,
) -> None:
    address = f"mailto-{tenant.key}@example.com"
    assert (await subscribe(client, email=address)).status_code == 202
    await outbox.deliver()
    [welcome] = smtp_sink.to(address)
    url = unsubscribe_link(welcome)
    token = path_of(url).removeprefix("/u/")
    assert str(welcome["List-Unsubscribe"]) == (
        f"<{url}>, <mailto:{unsubscribe_mailto}?subject=unsubscribe%20{token}>"
    )
    assert welcome["List-Unsubscribe-Post"] == ONE_CLICK


async def test_links_minted_for_a_brands_own_emails_unsubscribe_in_one_click(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    """`mint_unsubscribe_links`, which the management API exposes to a brand's sender."""
    address = f"Brand.Reader-{tenant.key}@Example.COM"
    stored = f"Brand.Reader-{tenant.key}@example.com"
    assert (await subscribe(client, email=address)).status_code == 202
    company = await tenant.database.run(lambda c: get_company_by_key(c, tenant.key))
    [minted] = await tenant.database.run(
        lambda c: mint_unsubscribe_links(c, company, [f"  {address} "])
    )
    assert minted.address == stored
    assert minted.url.startswith(f"{DEFAULT_PUBLIC_BASE_URL}/u/")
    assert dict(minted.headers) == {
        "List-Unsubscribe": f"<{minted.url}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }
    catalog = await tenant.database.run(lambda c: load_catalog(c, tenant.company_id))
    marketing = catalog.default_list(SubscriptionType.MARKETING, Channel.EMAIL)
    text_list = catalog.default_list(SubscriptionType.MARKETING, Channel.TEXT)
    assert marketing is not None
    assert text_list is not None
    [by_list] = await tenant.database.run(
        lambda c: mint_unsubscribe_links(
            c,
            company,
            [stored],
            marketing.id,
            base_url="https://consent.acme.example/",
            mailto="optout@acme.example",
        )
    )
    assert by_list.url.startswith("https://consent.acme.example/u/")
    assert path_of(by_list.url) == path_of(minted.url)
    assert "<mailto:optout@acme.example?subject=" in by_list.headers["List-Unsubscribe"]

    assert_page(await browser.post(path_of(minted.url)), 200, "You are unsubscribed")
    [record] = await records(tenant.database, tenant.company_id, stored)
    assert (record.status, record.opt_out_reason) == ("ENDED", "user_opt_out")

    refusals: list[tuple[type[Exception], list[str], int | None]] = [
        (InvalidContactPoint, ["not an address"], None),
        (InvalidInput, [], None),
        (InvalidInput, [stored], text_list.id),
        (NotFound, [stored], 10**12),
    ]
    for error, addresses, list_id in refusals:
        with pytest.raises(error):
            await tenant.database.run(
                lambda c, a=addresses, li=list_id: mint_unsubscribe_links(c, company, a, li)
            )


def test_the_pages_are_not_api_operations() -> None:
    spec = create_app(Settings(run_worker_in_process=False)).openapi()
    assert not [path for path in spec["paths"] if path.startswith(("/c/", "/u/"))]
