"""`/metrics`: Prometheus text, requests named by route template, for loopback or the token."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from optledger.app import LANES, create_app
from optledger.observability.metrics import MULTIPROC_DIR, multiprocess_metrics
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import TEST_SECRET, Outbox, Tenant
from tests.support.helpers import (
    queue_one,
    requests_of,
    sample,
    scrape,
    subscribe,
    subscribe_active,
    vibes_headers,
)
from tests.support.sink import HttpSink

PHONE = "+19148440171"
EMAIL = "metrics.reader@example.com"
VIBES_ROUTE = "/companies/{company_key}/mobiledb/persons/{person_key}/subscriptions"


async def test_requests_are_counted_by_route_template_with_no_contact_point(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = await scrape(client)
    assert (await subscribe(client, PHONE, EMAIL)).status_code == 202
    # The first read authenticates through the route, the second is the lane's.
    for _ in range(2):
        read = await client.get("/v1/subscriptions", params={"phone": PHONE})
        assert read.status_code == 200
    vibes = f"/companies/{tenant.key}/mobiledb/persons/nobody-71/subscriptions"
    for _ in range(2):
        assert (await client.get(vibes, headers=vibes_headers(tenant))).status_code == 404
    assert (await client.get(f"/no/such/{PHONE}")).status_code == 404

    after = await scrape(client)
    added = {
        ("/v1/subscriptions", "POST", "202"): 1,
        ("/v1/subscriptions", "GET", "200"): 2,
        (VIBES_ROUTE, "GET", "404"): 2,
        ("unmatched", "GET", "404"): 1,
    }
    for (route, method, status), count in added.items():
        grown = requests_of(after, route, method, status) - requests_of(
            before, route, method, status
        )
        assert grown == count, (route, method, status)
    latency = "optledger_http_request_duration_seconds_count"
    assert sample(after, latency, route="/v1/subscriptions", method="GET") >= 2
    assert sample(after, "optledger_outbox_queued_messages") >= 1  # the prompt waits
    assert "optledger_outbox_oldest_queued_age_seconds" in after
    assert "optledger_worker_alive" in after
    for secret in (PHONE, PHONE[1:], EMAIL, tenant.key, "nobody-71"):
        assert secret not in after


def test_each_lane_is_named_after_a_documented_route() -> None:
    paths = create_app(Settings(run_worker_in_process=False)).openapi()["paths"]
    for lane in LANES:
        assert "get" in paths[lane.template]


async def test_consent_changes_are_counted_by_kind(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    name = "optledger_consent_events_total"
    before = await scrape(client)
    await subscribe_active(client, PHONE)
    response = await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": PHONE}})
    assert response.status_code == 202
    after = await scrape(client)
    for kind in ("subscription_created", "subscription_ended"):
        assert sample(after, name, kind=kind) - sample(before, name, kind=kind) == 1, kind
    assert sample(after, name, kind="message_queued") == 0


async def test_deliveries_are_counted_by_result(
    app_client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    name = "optledger_deliveries_total"
    before = await scrape(app_client)
    await queue_one(tenant, "+19148440172")
    http_sink.planned_statuses.append(503)
    await outbox.deliver()
    await queue_one(tenant, "+19148440173")
    http_sink.planned_statuses.append(400)
    await outbox.deliver()
    after = await scrape(app_client)
    for result in ("sent", "retried", "dead"):
        labels = {"kind": "messages", "result": result}
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1


@asynccontextmanager
async def client_from(
    database: Database, address: str, token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(secret_key=TEST_SECRET, run_worker_in_process=False, metrics_token=token)
    app = create_app(settings, database=database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_other_clients_need_the_metrics_token(database: Database) -> None:
    async with client_from(database, "10.0.0.1") as client:
        assert (await client.get("/metrics")).status_code == 403
        refused = await client.get("/metrics", headers={"Authorization": "Bearer anything"})
        assert refused.status_code == 403
    async with client_from(database, "10.0.0.1", token="scrape-me") as client:
        assert (await client.get("/metrics")).status_code == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer scrape-mE"})
        assert wrong.status_code == 403
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200
        assert "optledger_http_requests_total" in right.text
    async with client_from(database, "::1") as client:
        assert (await client.get("/metrics")).status_code == 200


async def test_metrics_are_not_in_the_api_documentation(app_client: httpx.AsyncClient) -> None:
    assert "/metrics" not in (await app_client.get("/openapi.json")).json()["paths"]


def test_several_server_processes_share_a_metrics_folder_for_their_lifetime() -> None:
    with multiprocess_metrics(1):
        assert MULTIPROC_DIR not in os.environ
    with multiprocess_metrics(2):
        folder = Path(os.environ[MULTIPROC_DIR])
        assert folder.is_dir()
    assert MULTIPROC_DIR not in os.environ
    assert not folder.exists()
