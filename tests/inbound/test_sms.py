"""Inbound SMS keywords through the JSON and Twilio routes, replies delivered to a real sink."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import new_secret_pair, store_credential
from optledger.core.auth.scopes import Scope
from optledger.core.companies import get_company_by_key
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.sign_up_units import Locale, UnitSpec, create_sign_up_unit
from optledger.storage.database import Database
from optledger.storage.sql import Connection
from optledger.storage.tables import InboundMessage
from tests.conftest import Outbox, Tenant, make_tenant
from tests.support.helpers import count_rows, inbound_messages, records, subscribe, text_in
from tests.support.sink import HttpSink

PHONE = "+19148440011"
OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]


async def subscribed_to_both(client: httpx.AsyncClient, tenant: Tenant, phone: str) -> None:
    for sub_type in ("MARKETING", "TRANSACTIONAL"):
        response = await subscribe(client, phone, sub_type=sub_type, singleOptIn=True)
        assert response.status_code == 202, response.text


def kinds(sink: HttpSink, tenant: Tenant, phone: str) -> list[str]:
    return [payload["kind"] for payload in sink.to(phone, tenant.key)]


@pytest.mark.parametrize("keyword", OPT_OUT)
async def test_every_opt_out_keyword_ends_all_text_and_confirms_once(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink, keyword: str
) -> None:
    await subscribed_to_both(client, tenant, PHONE)
    await subscribe(client, email="keep@example.com", singleOptIn=True)
    assert await text_in(client, tenant.key, PHONE, f"  {keyword.lower()}\n") == "opt_out"
    ended = await records(tenant.database, tenant.company_id, PHONE)
    assert [(r.status, r.opt_out_reason) for r in ended] == [("ENDED", "keyword_opt_out")] * 2
    [email] = await records(tenant.database, tenant.company_id, "keep@example.com")
    assert email.status == "ACTIVE"  # a phone's keyword never touches EMAIL consent
    await outbox.deliver()
    assert kinds(http_sink, tenant, PHONE) == ["WELCOME", "WELCOME", "OPT_OUT_CONFIRMATION"]


async def test_opt_out_keyword_from_an_unknown_number_still_confirms_once(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    assert await text_in(client, tenant.key, "+19148440012", "Stop") == "opt_out"
    await outbox.deliver()
    assert kinds(http_sink, tenant, "+19148440012") == ["OPT_OUT_CONFIRMATION"]


@pytest.mark.parametrize("keyword", ["HELP", "info"])
async def test_help_and_info_send_the_help_text(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink, keyword: str
) -> None:
    assert await text_in(client, tenant.key, PHONE, keyword) == "help"
    await outbox.deliver()
    [help_text] = http_sink.to(PHONE, tenant.key)
    assert help_text["kind"] == "HELP"
    assert "Reply STOP" in help_text["body"]


@pytest.mark.parametrize("keyword", ["START", "unstop", "YES"])
async def test_start_after_stop_opens_new_records_for_what_stop_ended(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink, keyword: str
) -> None:
    await subscribed_to_both(client, tenant, PHONE)
    await text_in(client, tenant.key, PHONE, "STOP")
    assert await text_in(client, tenant.key, PHONE, keyword) == "resubscribe"
    found = await records(tenant.database, tenant.company_id, PHONE)
    assert [(r.type, r.status) for r in found] == [
        ("MARKETING", "ENDED"),
        ("TRANSACTIONAL", "ENDED"),
        ("MARKETING", "ACTIVE"),
        ("TRANSACTIONAL", "ACTIVE"),
    ]
    assert {r.source for r in found[2:]} == {"keyword"}
    await outbox.deliver()
    assert kinds(http_sink, tenant, PHONE)[-2:] == ["WELCOME", "WELCOME"]
    # A second START restores nothing new.
    await text_in(client, tenant.key, PHONE, keyword)
    assert len(await records(tenant.database, tenant.company_id, PHONE)) == 4


@pytest.mark.parametrize("body", ["STOP PLEASE", "hello", "", "N"])
async def test_anything_else_is_stored_and_ignored(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink, body: str
) -> None:
    await subscribed_to_both(client, tenant, PHONE)
    assert await text_in(client, tenant.key, PHONE, body) == "ignored"
    assert {r.status for r in await records(tenant.database, tenant.company_id, PHONE)} == {
        "ACTIVE"
    }
    assert await count_rows(tenant.database, tenant.company_id, InboundMessage, body=body) == 1
    await outbox.deliver()
    assert kinds(http_sink, tenant, PHONE) == ["WELCOME", "WELCOME"]


async def test_a_keyword_units_keyword_starts_its_double_opt_in(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    spec = UnitSpec(
        name="Join keyword",
        subscription_type=SubscriptionType.MARKETING,
        channels=[Channel.TEXT],
        locale=Locale("en", "US"),
        method="KEYWORD",
        keywords=["join"],
        legal_disclosure="Up to 4 msgs/week.",
    )
    await tenant.database.run(
        lambda connection: create_sign_up_unit(connection, tenant.company_id, spec)
    )
    assert await text_in(client, tenant.key, PHONE, "Join") == "unit_keyword"
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert (record.status, record.source) == ("PENDING", "keyword")
    assert await text_in(client, tenant.key, PHONE, "y") == "confirm"
    await outbox.deliver()
    prompt, welcome = http_sink.to(PHONE, tenant.key)
    assert prompt["kind"] == "CONFIRMATION_PROMPT"
    assert "Up to 4 msgs/week." in prompt["body"]
    assert welcome["kind"] == "WELCOME"


@pytest.mark.parametrize(
    ("language", "expected"), [("en-US", "unsubscribed"), ("fr-CA", "désabonné")]
)
async def test_api_unsubscribe_confirms_in_the_requested_language(
    client: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    http_sink: HttpSink,
    language: str,
    expected: str,
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    response = await client.post(
        "/v1/subscriptions/unsubscribe",
        json={"user": {"phone": PHONE}, "notification": {"language": language}},
    )
    assert response.status_code == 202
    await outbox.deliver()
    confirmation = http_sink.to(PHONE, tenant.key)[-1]
    assert (confirmation["kind"], confirmation["locale"]) == ("OPT_OUT_CONFIRMATION", language)
    assert expected in confirmation["body"]


async def test_api_unsubscribe_with_notification_disabled_sends_nothing(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    await client.post(
        "/v1/subscriptions/unsubscribe",
        json={"user": {"phone": PHONE}, "notification": {"disabled": True}},
    )
    await outbox.deliver()
    assert kinds(http_sink, tenant, PHONE) == ["WELCOME"]


async def test_another_companys_key_cannot_act_on_this_company(
    client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    other = await make_tenant(database)
    response = await client.post(
        f"/inbound/sms/{tenant.key}",
        json={"from": PHONE, "body": "STOP"},
        headers=other.api_headers,
    )
    assert response.status_code == 403
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"
    assert await count_rows(tenant.database, tenant.company_id, InboundMessage) == 0


async def test_a_key_without_inbound_scope_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    issued = new_secret_pair(CredentialKind.API_KEY)

    async def store(connection: Connection) -> None:
        await store_credential(
            connection,
            tenant.company_id,
            issued,
            name="subscriptions only",
            scopes=[Scope.SUBSCRIPTIONS_WRITE],
        )

    await database.run(store)
    response = await client.post(
        f"/inbound/sms/{tenant.key}",
        json={"from": PHONE, "body": "STOP"},
        headers={"Authorization": f"Bearer {issued.token}"},
    )
    assert response.status_code == 403
    assert "inbound:write" in response.json()["error"]["message"]


async def test_malformed_inbound_is_400_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for body in ({"from": "19148440011", "body": "STOP"}, {"body": "STOP"}):
        response = await client.post(f"/inbound/sms/{tenant.key}", json=body)
        assert response.status_code == 400
    assert await count_rows(tenant.database, tenant.company_id, InboundMessage) == 0


TWILIO_TOKEN = "twilio-auth-token-for-tests"


async def configure_twilio(tenant: Tenant) -> None:
    async def apply(connection: Connection) -> None:
        company = await get_company_by_key(connection, tenant.key)
        await set_company_setting(
            connection, company.id, company.settings, TWILIO_AUTH_TOKEN, TWILIO_TOKEN
        )

    await tenant.database.run(apply)


def twilio_form(body: str) -> dict[str, str]:
    return {
        "From": PHONE,
        "To": "+15550000000",
        "Body": body,
        "MessageSid": "SM0123456789abcdef0123456789abcdef",
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "NumMedia": "0",
    }


async def post_twilio(
    client: httpx.AsyncClient, key: str, form: dict[str, str], token: str | None
) -> httpx.Response:
    url = f"http://testserver/inbound/twilio/{key}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token is not None:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, form)
    return await client.post(url, content=urlencode(form), headers=headers)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("STOP", "STOP"),
        # A gateway may decode GSM's "@" (0x00) to NUL: the keyword still counts, and
        # the text is kept with U+FFFD for each control (storable on both databases).
        ("STOP\x00\x1b", "STOP\ufffd\ufffd"),
    ],
)
async def test_twilio_post_with_a_valid_signature_applies_the_keyword(
    app_client: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant, text: str, kept: str
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    await configure_twilio(tenant)
    app_client.headers.pop("Authorization", None)
    response = await post_twilio(app_client, tenant.key, twilio_form(text), TWILIO_TOKEN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response" in response.text
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.opt_out_reason == "keyword_opt_out"
    [inbound] = await inbound_messages(tenant.database, tenant.company_id)
    assert (inbound.provider, inbound.provider_message_id, inbound.body) == (
        "twilio",
        twilio_form("")["MessageSid"],
        kept,
    )


@pytest.mark.parametrize("token", [None, "a-different-token"])
async def test_twilio_post_without_a_valid_signature_changes_nothing(
    app_client: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant, token: str | None
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    await configure_twilio(tenant)
    app_client.headers.pop("Authorization", None)
    response = await post_twilio(app_client, tenant.key, twilio_form("STOP"), token)
    assert response.status_code == 403
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"
    assert await count_rows(tenant.database, tenant.company_id, InboundMessage) == 0


async def test_twilio_signature_of_another_company_is_refused(
    app_client: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    await subscribe(client, PHONE, singleOptIn=True)
    other = await make_tenant(database)
    await configure_twilio(tenant)
    # `other` has no token configured: even a correctly signed post cannot reach it.
    response = await post_twilio(app_client, other.key, twilio_form("STOP"), TWILIO_TOKEN)
    assert response.status_code == 403
    response = await post_twilio(app_client, "no-such-company", twilio_form("STOP"), TWILIO_TOKEN)
    assert response.status_code == 403
    [record] = await records(tenant.database, tenant.company_id, PHONE)
    assert record.status == "ACTIVE"


async def test_a_message_the_provider_delivers_twice_acts_once(
    app_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tenant: Tenant,
    outbox: Outbox,
    http_sink: HttpSink,
) -> None:
    await configure_twilio(tenant)
    app_client.headers.pop("Authorization", None)
    for _ in range(2):
        response = await post_twilio(app_client, tenant.key, twilio_form("HELP"), TWILIO_TOKEN)
        assert response.status_code == 200, response.text
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(PHONE, tenant.key)] == ["HELP"]
    assert len(await inbound_messages(tenant.database, tenant.company_id)) == 1
    # The JSON route keys on its messageId the same way.
    body = {"from": PHONE, "body": "HELP", "messageId": "json-1"}
    url = f"/inbound/sms/{tenant.key}"
    first = await client.post(url, json=body, headers=tenant.api_headers)
    again = await client.post(url, json=body, headers=tenant.api_headers)
    assert first.json()["action"] == again.json()["action"] == "help"
    await outbox.deliver()
    assert [p["kind"] for p in http_sink.to(PHONE, tenant.key)] == ["HELP", "HELP"]
