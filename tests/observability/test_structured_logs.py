"""Log lines as JSON objects, one line per request, never a phone number or email."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from optledger.cli import app as cli_app
from optledger.observability.logs import JsonFormatter, MaskingTextFormatter
from optledger.settings import get_settings
from tests.conftest import Tenant
from tests.support.helpers import subscribe

PHONE = "+19148440181"
EMAIL = "log.reader@example.com"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the server's loggers write in the JSON format while the test runs (the
    test's own HTTP client logs the URLs it calls, query strings and all)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    server = logging.getLogger("optledger")
    level = server.level
    server.addHandler(handler)
    server.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        server.removeHandler(handler)
        server.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_json_lines_name_each_request_and_no_contact_point(
    client: httpx.AsyncClient, tenant: Tenant, json_lines: io.StringIO
) -> None:
    assert (await subscribe(client, PHONE, EMAIL)).status_code == 202
    for _ in range(2):  # the route, then its lane
        await client.get("/v1/subscriptions", params={"phone": PHONE, "email": EMAIL})
    refused = await subscribe(client, "+19999999981", "not an email")
    assert refused.status_code == 400
    await client.get(f"/v1/messages/{EMAIL}", headers={"x-request-id": "r-181"})

    text = json_lines.getvalue()
    for secret in (PHONE, PHONE[1:], EMAIL, "+19999999981"):
        assert secret not in text
    lines = parsed(json_lines)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert line["time"].endswith("+00:00")
    requests = [line for line in lines if line["logger"] == "optledger.requests"]
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("POST", "/v1/subscriptions", 202),
        ("GET", "/v1/subscriptions", 200),
        ("GET", "/v1/subscriptions", 200),
        ("POST", "/v1/subscriptions", 400),
        ("GET", "unmatched", 404),
    ]
    for line in requests:
        assert line["level"] == "INFO"
        assert line.get("company_key") == (None if line["route"] == "unmatched" else tenant.key)
        assert isinstance(line["latency_ms"], float)
        assert len(line["request_id"]) == 32 or line["request_id"] == "r-181"
    errors = [line for line in lines if line["logger"] == "optledger.errors"]
    assert [error["request_id"] for error in errors] == [requests[3]["request_id"], "r-181"]
    assert "phone '...' is not a valid number" in errors[0]["message"]  # the field alone


def test_both_formats_mask_messages_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"cannot reach {PHONE} nor 9148445554")
    except ValueError:
        record = logging.LogRecord(
            "optledger.test", logging.ERROR, __file__, 1, "to %s and %s, id=%d after %r",
            (PHONE, EMAIL, 12345678901, KeyError("bob.leak@@example.com")), None,
        )  # fmt: skip
        record.exc_info = sys.exc_info()
    for formatter in (MaskingTextFormatter(), JsonFormatter()):
        line = formatter.format(record)
        for clear in (PHONE, EMAIL, "9148445554", "bob.leak"):
            assert clear not in line
        assert "+1914*****81" in line
        assert "l***@example.com" in line
        assert "b***@example.com" in line
        assert "id=12345678901 " in line  # the line's own numbers stay
    assert json.loads(JsonFormatter().format(record))["exception"].startswith("Traceback")


def test_serve_hands_the_log_format_to_every_server_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: dict[str, Any] = {}
    # `serve` imports uvicorn when it runs (the command starts without it).
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.update(kwargs))
    # Set here so that they are put back as they were: `serve` sets them for its processes.
    monkeypatch.setenv("OPTLEDGER_LOG_FORMAT", "text")
    monkeypatch.setenv("OPTLEDGER_SERVER_PROCESSES", "1")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["serve", "--log-format", "json"])
        assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
    formatter = started["log_config"]["formatters"]["optledger"]["()"]
    assert formatter == "optledger.observability.logs.JsonFormatter"
    assert started["access_log"] is False
    assert os.environ["OPTLEDGER_LOG_FORMAT"] == "json"
