"""Double opt-in end to end: HTTP API in, real HTTP sink and SMTP server out."""

from __future__ import annotations

from datetime import timedelta

import httpx

from optledger.core.sign_up_units import Locale
from optledger.delivery.jobs import expire_prompts
from tests.conftest import Outbox, Tenant
from tests.support.helpers import eligibility, make_unit, records, statuses, subscribe, text_in
from tests.support.sink import HttpSink, SmtpSink

PHONE = "+19148440001"
MARKETING_TEXT = ("MARKETING", "TEXT")


async def test_text_subscribe_is_pending_and_prompts_with_the_disclosure(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    response = await subscribe(client, PHONE)
    assert statuses(response, "subscriptionCreationStatus") == {MARKETING_TEXT: "NEWLY_CREATED"}
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "PENDING"
    assert record.opt_in_date is None
    assert await eligibility(client, PHONE) == {MARKETING_TEXT: False}

    await outbox.deliver()
    [prompt] = http_sink.to(PHONE, tenant.key)
    assert prompt["kind"] == "CONFIRMATION_PROMPT"
    assert prompt["company_key"] == tenant.key
    assert prompt["locale"] == "en-US"
    assert "Reply Y to confirm" in prompt["body"]
    assert "Msg & data rates may apply" in prompt["body"]  # the unit's legal disclosure
    delivery = next(d for d in http_sink.snapshot() if d.payload["id"] == prompt["id"])
    assert delivery.key == prompt["id"]


async def test_yes_confirms_and_sends_the_welcome(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await subscribe(client, PHONE)
    assert await text_in(client, tenant.key, PHONE, " yes ") == "confirm"
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"
    assert record.opt_in_date is not None
    assert await eligibility(client, PHONE) == {MARKETING_TEXT: True}

    await outbox.deliver()
    kinds = [payload["kind"] for payload in http_sink.to(PHONE, tenant.key)]
    assert kinds == ["CONFIRMATION_PROMPT", "WELCOME"]
    assert "Msg & data rates may apply" in http_sink.to(PHONE, tenant.key)[1]["body"]


async def test_no_declines_and_blocks_the_unit_for_the_number(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    phone = "+19148440002"
    await subscribe(client, phone)
    assert await text_in(client, tenant.key, phone, "N") == "decline"
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert record.status == "DECLINED"
    assert await eligibility(client, phone) == {MARKETING_TEXT: False}

    again = await subscribe(client, phone)
    assert again.status_code == 422
    assert "NO" in again.json()["error"]["message"]
    assert len(await records(tenant.database, tenant.company_id, phone)) == 1
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(phone, tenant.key)] == ["CONFIRMATION_PROMPT"]


async def test_unanswered_prompt_expires(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox
) -> None:
    phone = "+19148440003"
    await subscribe(client, phone)
    await expire_prompts(tenant.database, timedelta(hours=1))
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert record.status == "PENDING"  # not old enough yet

    await expire_prompts(tenant.database, timedelta(0))
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert record.status == "EXPIRED"
    # A late Y finds no prompt: it is kept and ignored (no record was ever ended by STOP).
    assert await text_in(client, tenant.key, phone, "Y") == "ignored"
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert record.status == "EXPIRED"


async def test_single_opt_in_is_active_at_once_and_still_sends_the_legal_welcome(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    phone = "+19148440004"
    await subscribe(client, phone, singleOptIn=True)
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert (record.status, record.single_opt_in) == ("ACTIVE", True)
    await outbox.deliver()
    [welcome] = http_sink.to(phone, tenant.key)
    assert welcome["kind"] == "WELCOME"
    assert "By subscribing you agree" in welcome["body"]


async def test_single_opt_in_needs_a_unit_that_allows_it(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit_id = await make_unit(tenant)
    response = await subscribe(client, "+19148440005", unit_id=unit_id, singleOptIn=True)
    assert response.status_code == 400
    assert await records(tenant.database, tenant.company_id, "+19148440005") == []


async def test_repeats_prompt_again_while_pending_then_say_already_subscribed(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    phone = "+19148440006"
    await subscribe(client, phone)
    again = await subscribe(client, phone)
    assert statuses(again, "subscriptionCreationStatus") == {MARKETING_TEXT: "PREVIOUSLY_CREATED"}
    await text_in(client, tenant.key, phone, "Y")
    await subscribe(client, phone)
    await outbox.deliver()
    kinds = [p["kind"] for p in http_sink.to(phone, tenant.key)]
    assert kinds == ["CONFIRMATION_PROMPT", "CONFIRMATION_PROMPT", "WELCOME", "ALREADY_SUBSCRIBED"]


async def test_prompt_in_the_units_locale(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    unit_id = await make_unit(tenant, locale=Locale("fr", "CA"))
    phone = "+15145550101"
    await subscribe(client, phone, unit_id=unit_id)
    await outbox.deliver()
    [prompt] = http_sink.to(phone, tenant.key)
    assert prompt["locale"] == "fr-CA"
    assert "Répondez Y pour confirmer" in prompt["body"]


async def test_email_follows_the_unit_setting_over_real_smtp(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, smtp_sink: SmtpSink
) -> None:
    address = f"single-{tenant.key}@example.com"
    await subscribe(client, email=address)
    [record] = await records(tenant.database, tenant.company_id, address)
    assert record.status == "ACTIVE"  # email double opt-in is off by default

    double = await make_unit(tenant, email_double_opt_in=True)
    other = f"double-{tenant.key}@example.com"
    await subscribe(client, email=other, unit_id=double)
    [record] = await records(tenant.database, tenant.company_id, other)
    assert record.status == "PENDING"

    await outbox.deliver()
    [welcome] = smtp_sink.to(address)
    assert "You are now subscribed" in welcome.get_content()
    [prompt] = smtp_sink.to(other)
    # An email is confirmed by following its link, not by replying
    # (tests/consent_pages/test_email_links.py).
    assert "Please confirm your subscription" in prompt.get_content()
    assert "/c/" in prompt.get_content()
    assert prompt["Idempotency-Key"] in prompt["Message-ID"]
