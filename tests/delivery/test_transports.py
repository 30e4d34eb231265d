"""Provider edges of the transports, with httpx's MockTransport standing in for the provider."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from optledger.delivery.transports.base import Outgoing, TransportError
from optledger.delivery.transports.twilio import TwilioTransport
from optledger.delivery.transports.webhook import WebhookTransport
from optledger.settings import Settings

MESSAGE = Outgoing(
    id=1,
    idempotency_key="key-1",
    channel="TEXT",
    to="+19148440001",
    body="Acme: Reply Y to confirm.",
    kind="CONFIRMATION_PROMPT",
    company_key="acme",
    locale="en-US",
)


def twilio(handler: object) -> TwilioTransport:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return TwilioTransport(
        client, account_sid="AC123", auth_token="secret", from_number="+15550001111"
    )


async def test_twilio_creates_a_message_with_basic_auth_and_keeps_its_sid() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"sid": "SM42", "status": "queued"})

    result = await twilio(handler).send(MESSAGE)
    assert result.provider_id == "SM42"
    [request] = seen
    assert str(request.url) == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["authorization"] == httpx.BasicAuth("AC123", "secret")._auth_header
    form = parse_qs(request.content.decode())
    assert form == {"To": [MESSAGE.to], "From": ["+15550001111"], "Body": [MESSAGE.body]}


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (401, False)]
)
async def test_twilio_errors_retry_on_5xx_and_429_only(status: int, retryable: bool) -> None:
    transport = twilio(lambda request: httpx.Response(status, json={"code": 21211}))
    with pytest.raises(TransportError) as caught:
        await transport.send(MESSAGE)
    assert caught.value.retryable is retryable


async def test_twilio_unreachable_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransportError) as caught:
        await twilio(handler).send(MESSAGE)
    assert caught.value.retryable


async def test_webhook_sends_the_idempotency_key_as_header_and_body_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = await WebhookTransport(client, "http://hook.invalid/sms").send(MESSAGE)
    assert result.provider_id is None  # the receiver named no id
    [request] = seen
    assert request.headers["idempotency-key"] == "key-1"
    assert httpx.Response(200, content=request.content).json() == {
        "id": "key-1",
        "channel": "TEXT",
        "to": MESSAGE.to,
        "body": MESSAGE.body,
        "kind": "CONFIRMATION_PROMPT",
        "company_key": "acme",
        "locale": "en-US",
    }


@pytest.mark.parametrize(
    "env",
    [
        {"sms_transport": "webhook"},
        {"email_transport": "webhook"},
        {"sms_transport": "twilio", "twilio_account_sid": "AC1"},
        {"email_transport": "smtp"},
    ],
)
def test_settings_refuse_a_transport_that_could_not_send(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="OPTLEDGER_"):
        Settings(**env)  # type: ignore[arg-type]
