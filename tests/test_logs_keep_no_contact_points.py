"""Logs carry no phone number or email address in the clear."""

from __future__ import annotations

import logging

import httpx
import pytest

from optledger.core.contact_points import mask_contact_points
from optledger.delivery.transports.base import Outgoing
from optledger.delivery.transports.log import LogTransport
from tests.conftest import Tenant
from tests.helpers import subscribe

PHONE = "+19148440131"


def test_masking_keeps_enough_to_follow_a_case() -> None:
    assert mask_contact_points("to +19148440131 and ann.lee@example.com") == (
        "to +1914*****31 and a***@example.com"
    )
    assert mask_contact_points("unit 12 of company 3") == "unit 12 of company 3"


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
    assert "+1999*****91" in logged


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
