"""Malformed, mistyped, incomplete and oversized requests: a 4xx in shape, nothing written."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import Event, Person, SubscriptionRecord
from tests.conftest import TEST_SECRET, Tenant
from tests.support.helpers import count_rows, subscribe_body

PHONE = "+19148440001"

BAD_SUBSCRIBE_BODIES: list[Any] = [
    [],
    "a string",
    {},
    {"user": {}},
    {"user": None, "signUpSourceId": "1"},
    {"user": "+19148440001", "signUpSourceId": "1"},
    {"user": {"phone": 19148440001}, "signUpSourceId": "1"},
    {"user": {"phone": PHONE}, "signUpSourceId": ["1"]},
    {"user": {"phone": PHONE}, "signUpSourceId": "1", "singleOptIn": "true"},
    {"user": {"phone": PHONE}, "locale": "en-US", "subscriptionType": "MARKETING"},
    {"user": {"phone": PHONE}, "locale": {"language": "en"}, "subscriptionType": "MARKETING"},
    {
        "user": {"phone": PHONE},
        "locale": {"language": "en", "country": "US"},
        "subscriptionType": "SPAM",
    },
    {"user": {"phone": PHONE}, "signUpSourceId": "1", "externalIdentifiers": []},
    {
        "user": {"phone": PHONE},
        "signUpSourceId": "1",
        "externalIdentifiers": {"customIdentifiers": {}},
    },
    {"user": {"email": "no-at-sign"}, "signUpSourceId": "1"},
    {"user": {"email": "x" * 400 + "@example.com"}, "signUpSourceId": "1"},
    {
        "user": {"phone": PHONE},
        "signUpSourceId": "1",
        "externalIdentifiers": {"clientUserId": "x" * 101},
    },
]


async def assert_nothing_written(tenant: Tenant) -> None:
    for table in (Person, SubscriptionRecord, Event):
        assert await count_rows(tenant.database, tenant.company_id, table) == 0


@pytest.mark.parametrize("body", BAD_SUBSCRIBE_BODIES)
async def test_bad_subscribe_bodies_are_400(
    client: httpx.AsyncClient, tenant: Tenant, body: Any
) -> None:
    response = await client.post("/v1/subscriptions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert isinstance(error["id"], int)
    assert error["message"]
    await assert_nothing_written(tenant)


@pytest.mark.parametrize(
    "raw", [b"{", b'{"user": {"phone": "+19148440001"},}', b"\xff\xfe", b"null", b""]
)
async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: Tenant, raw: bytes) -> None:
    for url in ("/v1/subscriptions", "/v1/subscriptions/unsubscribe"):
        response = await client.post(url, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, (url, raw, response.text)
        assert "error" in response.json()
    await assert_nothing_written(tenant)


@pytest.mark.parametrize(
    "body",
    [
        {"user": {"phone": PHONE}, "subscriptions": [{"type": "MARKETING"}]},
        {"user": {"phone": PHONE}, "subscriptions": [{"type": "MARKETING", "channel": "FAX"}]},
        {"user": {"phone": PHONE}, "subscriptions": {"type": "MARKETING", "channel": "TEXT"}},
        {"user": {"phone": PHONE}, "notification": {"disabled": "yes"}},
        {"subscriptions": []},
    ],
)
async def test_bad_unsubscribe_bodies_are_400_and_end_nothing(
    client: httpx.AsyncClient, tenant: Tenant, body: Any
) -> None:
    subscribed = await client.post(
        "/v1/subscriptions", json=subscribe_body(PHONE, singleOptIn=True)
    )
    assert subscribed.status_code == 202
    response = await client.post("/v1/subscriptions/unsubscribe", json=body)
    assert response.status_code == 400, response.text
    eligibility = await client.get("/v1/subscriptions", params={"phone": PHONE})
    assert eligibility.json()["subscriptionEligibilities"][0]["eligibility"]["isEligible"] is True


async def test_oversized_body_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = subscribe_body(PHONE, padding="x" * (1024 * 1024))
    response = await client.post("/v1/subscriptions", json=body)
    assert response.status_code == 413
    assert "error" in response.json()

    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * 100_000

    # Without a Content-Length the limit still holds while the body streams in.
    response = await client.post(
        "/v1/subscriptions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    await assert_nothing_written(tenant)


async def test_unknown_route_and_method_use_the_error_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert isinstance(missing.json()["error"]["id"], int)
    wrong_method = await client.delete("/v1/subscriptions")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()


async def test_error_id_is_in_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="optledger.errors"):
        response = await client.post("/v1/subscriptions", json=subscribe_body("19148440001"))
    error_id = response.json()["error"]["id"]
    assert any(str(error_id) in record.getMessage() for record in caplog.records)


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/subscriptions", json=subscribe_body(PHONE, somethingNew={"nested": [1, 2]})
    )
    assert response.status_code == 202


async def test_openapi_document_is_served(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/v1/subscriptions", "/v1/subscriptions/unsubscribe", "/v1/me"} <= set(paths)


async def test_a_body_slower_than_the_read_timeout_is_408(
    database: Database, tenant: Tenant
) -> None:
    settings = Settings(secret_key=TEST_SECRET, run_worker_in_process=False)
    settings.body_read_timeout_seconds = 0.3
    app = create_app(settings, database=database)

    async def trickle() -> Any:
        yield b'{"user": {"phone": "'
        await asyncio.sleep(5)
        yield b'+19148440001"}}'

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            started = time.monotonic()
            response = await client.post(
                "/v1/subscriptions",
                content=trickle(),
                headers={**tenant.api_headers, "content-type": "application/json"},
            )
    assert response.status_code == 408
    assert time.monotonic() - started < 3
    assert set(response.json()) == {"error"}
    await assert_nothing_written(tenant)
