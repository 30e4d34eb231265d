"""Logs carry no phone number or email address in the clear."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import httpx
import pytest

from optledger.core.contact_points import mask_contact_points
from optledger.delivery.transports.base import Outgoing
from optledger.delivery.transports.log import LogTransport
from optledger.observability.logs import JsonFormatter, MaskingTextFormatter, error_for_log
from optledger.observability.request_log import _Facts, _log_request
from tests.conftest import Tenant
from tests.support.dialect_requests import PHONE as MATRIX_PHONE
from tests.support.dialect_requests import REQUESTS
from tests.support.helpers import subscribe, vibes_headers
from tests.support.manage_requests import REQUESTS as MANAGE_REQUESTS
from tests.support.manage_requests import objects_of as manage_objects_of
from tests.support.operator_helpers import make_operator
from tests.support.vibes_routes import VIBES_ROUTES, vibes_url

PHONE = "+19148440131"


# Contact points in the forms error lines used to echo in the clear, and what of
# each must not reach a log line.
MALFORMED = {
    "not-a-phone-9148445551": ["9148445551", "8445551"],
    "+1 (914) 844-5556": ["844-5556", "8445556"],
    "9148445554": ["9148445554", "8445554"],
    "bob.leak@@example.com": ["bob.leak"],
}


def test_masking_keeps_enough_to_follow_a_case() -> None:
    assert mask_contact_points("to +19148440131 and ann.lee@example.com") == (
        "to +1914*****31 and a***@example.com"
    )
    assert mask_contact_points("unit 12 of company 3") == "unit 12 of company 3"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("not-a-phone-9148445551", "not-a-phone-********51"),
        ("+1 (914) 844-5556", "+1914*****56"),
        ("call (914) 844-5556", "call ********56"),
        ("bare 9148445554", "bare ********54"),
        ("bob.leak@@example.com", "b***@example.com"),
        ("x@", "x***@"),
        # Not contact points: a request id, a time, small numbers, a lone "@".
        ("request=3f2a1234567890abcdef1234567890ab", "request=3f2a1234567890abcdef1234567890ab"),
        ("2024-05-01 10:20:30,123 took 12.5 ms", "2024-05-01 10:20:30,123 took 12.5 ms"),
        ("characters of a-z, '@' or '+'", "characters of a-z, '@' or '+'"),
    ],
)
def test_the_masker_catches_every_form(text: str, masked: str) -> None:
    assert mask_contact_points(text) == masked


def test_error_messages_are_logged_without_the_values_they_quote() -> None:
    logged = error_for_log("phone '+1 (914) 844-5556' is not in E.164 format")
    assert logged == "phone '...' is not in E.164 format"
    assert error_for_log("a list's name is too long") == "a list's name is too long"


async def test_error_lines_mask_what_the_request_named(
    client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="optledger.errors"):
        response = await subscribe(client, "+19999999991", "someone.long@example.com")
    assert response.status_code == 400
    assert "+19999999991" in response.json()["error"]["message"]  # the caller sees it
    logged = caplog.text
    assert "error id=" in logged
    assert "+19999999991" not in logged
    assert "message=phone '...' is not a valid number" in logged  # the field, not the value


async def test_the_log_transport_masks_the_recipient(caplog: pytest.LogCaptureFixture) -> None:
    message = Outgoing(
        id=1,
        idempotency_key="k",
        channel="TEXT",
        to=PHONE,
        body="Reply Y",
        kind="CONFIRMATION_PROMPT",
        company_key="acme",
        locale="en-US",
    )
    with caplog.at_level(logging.INFO, logger="optledger.messages"):
        await LogTransport().send(message)
    assert PHONE not in caplog.text
    assert "+1914*****31" in caplog.text


async def test_every_response_names_its_request(
    client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    made = await client.get("/v1/subscriptions", params={"phone": PHONE})
    assert len(made.headers["x-request-id"]) == 32
    given = await client.get("/healthz", headers={"x-request-id": "crm-42.a"})
    assert given.headers["x-request-id"] == "crm-42.a"
    odd = await client.get("/healthz", headers={"x-request-id": "two words"})
    assert odd.headers["x-request-id"] != "two words"
    with caplog.at_level(logging.INFO, logger="optledger.errors"):
        refused = await client.get(
            "/v1/subscriptions", params={"phone": "+19999999991"}, headers={"x-request-id": "r-7"}
        )
    assert refused.headers["x-request-id"] == "r-7"
    assert "request=r-7" in caplog.text


async def test_no_route_logs_a_contact_point_or_a_secret(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every documented route, driven with a known number and email (and garbage),
    at DEBUG: neither they nor any credential appear in what was logged."""
    email = "logged.never@example.com"
    secrets = [
        tenant.boot.api_key.secret,
        tenant.boot.legacy_token.secret,
        tenant.boot.basic.secret,
    ]
    with caplog.at_level(logging.DEBUG):
        for (method, path), (url, body) in sorted(REQUESTS.items()):
            headers = tenant.legacy_headers if path.startswith("/1/") else tenant.api_headers
            url = url.format(key=tenant.key, request="1", webhook="1")
            for sent in (body, {"user": {"phone": PHONE, "email": email}, "x": [email]}):
                await app_client.request(method, url, json=sent, headers=headers)
        for method, path in VIBES_ROUTES:
            url = vibes_url(path, tenant, person_key="nobody", external_person_id=email)
            body = {"mobile_phone": {"mdn": PHONE}, "email": email}
            await app_client.request(method, url, json=body, headers=vibes_headers(tenant))
            await app_client.get(url, params={"mdn": PHONE}, headers=vibes_headers(tenant))
    # The test's own HTTP client logs the URLs it calls: that is not the service.
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert ours, "nothing was logged: the test would prove nothing"
    handler = logging.StreamHandler()
    logged = "\n".join(handler.format(record) for record in ours)
    for clear in (PHONE, MATRIX_PHONE, email, *secrets):
        assert clear not in logged
    # Lines did name the number, masked (the legacy route quotes an unknown one).
    assert "+1914*****71" in logged


def _formatted(records: list[logging.LogRecord]) -> str:
    """The service's records as any handler writes them: plain, and through both of ours."""
    ours = [r for r in records if not r.name.startswith(("httpx", "httpcore"))]
    assert ours, "nothing was logged: the test would prove nothing"
    formatters = (logging.Formatter(), MaskingTextFormatter(), JsonFormatter())
    return "\n".join(formatter.format(record) for record in ours for formatter in formatters)


@pytest.mark.parametrize("form", MALFORMED)
async def test_no_route_logs_a_malformed_contact_point(
    app_client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    """Every route, and a privacy request, given a contact point no parser accepts:
    the error lines name the field, never what was sent."""
    with caplog.at_level(logging.DEBUG):
        for (method, path), (url, body) in sorted(REQUESTS.items()):
            headers = tenant.legacy_headers if path.startswith("/1/") else tenant.api_headers
            url = url.format(key=tenant.key, request="1", webhook="1")
            url = url.replace(MATRIX_PHONE, quote(form))
            sent = json.loads(json.dumps(body).replace(MATRIX_PHONE, form)) if body else None
            await app_client.request(method, url, json=sent, headers=headers)
        for subject in ({"subjectEmail": form}, {"subjectPhone": form}):
            erased = await app_client.post(
                "/v1/privacy/delete-request", json=subject, headers=tenant.api_headers
            )
            assert erased.status_code == 400, erased.text
            assert form in erased.json()["error"]["message"]  # the caller sees what they sent
        for method, path in VIBES_ROUTES:
            url = vibes_url(path, tenant, person_key=form, external_person_id=form)
            body = {"mobile_phone": {"mdn": form}, "email": form}
            await app_client.request(method, url, json=body, headers=vibes_headers(tenant))
            await app_client.get(url, params={"mdn": form}, headers=vibes_headers(tenant))
    logged = _formatted(caplog.records)
    assert "error id=" in logged
    for clear in MALFORMED[form]:
        assert clear not in logged


async def test_no_manage_route_logs_a_token_or_a_minted_secret(
    app_client: httpx.AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """Every management route, driven with an operator's token (and a wrong one): neither
    the token nor the secrets minted in the answers appear in what was logged."""
    operator = await make_operator(tenant.database, [tenant.key])
    app_client.headers.update(operator.headers)
    ids = await manage_objects_of(app_client, tenant)
    shown: list[str] = [operator.token.split(".")[1]]
    with caplog.at_level(logging.DEBUG):
        for (method, _), (url, body) in sorted(MANAGE_REQUESTS.items()):
            response = await app_client.request(method, url.format(**ids), json=body)
            assert response.status_code < 300, response.text
            answer = response.json()
            shown += [answer[k].split(".")[-1] for k in ("token", "password") if answer.get(k)]
        wrong = {"Authorization": f"Bearer {operator.token.split('.')[0]}.not-the-secret"}
        assert (await app_client.get("/manage/v1/me", headers=wrong)).status_code == 401
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert ours, "nothing was logged: the test would prove nothing"
    handler = logging.StreamHandler()
    logged = "\n".join(handler.format(record) for record in ours)
    assert len(shown) >= 2
    for secret in [*shown, "not-the-secret"]:
        assert secret not in logged


def test_a_company_key_with_a_run_of_digits_is_logged_as_it_is(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Company keys are identifiers the product checked, not contact points."""
    with caplog.at_level(logging.INFO, logger="optledger.requests"):
        _log_request("GET", "/v1/me", 200, 0.001, _Facts(company_key="co-0976877c47fa"))
    record = caplog.records[-1]
    assert "company=co-0976877c47fa" in MaskingTextFormatter().format(record)
    assert json.loads(JsonFormatter().format(record))["company_key"] == "co-0976877c47fa"
