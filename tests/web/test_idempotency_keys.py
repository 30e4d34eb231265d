"""`Idempotency-Key`: a retried write runs once and gets its first answer again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from optledger.app import create_app
from optledger.delivery import jobs
from optledger.settings import Settings
from optledger.storage.clock import utcnow
from optledger.storage.repositories.idempotency import ANSWER_LIFETIME
from optledger.web.routing import is_routed
from tests.conftest import Tenant
from tests.support.helpers import events, messages, subscribe_active, subscribe_body, vibes_headers

PHONE = "+19148440161"


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_a_retried_subscribe_gets_the_first_answer_and_runs_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = subscribe_body(PHONE, singleOptIn=True)
    first = await client.post("/v1/subscriptions", json=body, headers=keyed("sub-1"))
    again = await client.post("/v1/subscriptions", json=body, headers=keyed("sub-1"))
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.json()["subscriptionResponses"][0]["subscriptionCreationStatus"] == (
        "NEWLY_CREATED"
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(await events(tenant.database, tenant.company_id, "subscription_created")) == 1
    assert len(await messages(tenant.database, tenant.company_id, PHONE)) == 1
    # Without the key, the same request runs: it finds the subscription there.
    plain = await client.post("/v1/subscriptions", json=body)
    assert plain.json()["subscriptionResponses"][0]["subscriptionCreationStatus"] == (
        "PREVIOUSLY_CREATED"
    )


async def test_the_same_key_with_another_request_is_422_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await client.post("/v1/subscriptions", json=subscribe_body(PHONE), headers=keyed("k"))
    other = await client.post(
        "/v1/subscriptions", json=subscribe_body("+19148440162"), headers=keyed("k")
    )
    assert other.status_code == 422
    assert set(other.json()) == {"error"}
    unknown = await client.get("/v1/subscriptions", params={"phone": "+19148440162"})
    assert unknown.status_code == 404


async def test_two_concurrent_requests_with_one_key_run_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = subscribe_body(PHONE, singleOptIn=True)
    answers = await asyncio.gather(
        *[client.post("/v1/subscriptions", json=body, headers=keyed("race")) for _ in range(4)]
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    assert len(await events(tenant.database, tenant.company_id, "subscription_created")) == 1


async def test_keys_are_per_credential_and_failures_are_not_kept(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await subscribe_active(client, PHONE)
    url = f"/companies/{tenant.key}/mobiledb/persons"
    bad_login = {**keyed("shared"), "Authorization": "Basic bm9ib2R5Om5vcGU="}
    refused = await app_client.post(url, json={"mobile_phone": {"mdn": PHONE}}, headers=bad_login)
    assert refused.status_code == 401
    # The same key under the right login runs (the 401 was not kept for anyone).
    headers = {**vibes_headers(tenant), **keyed("shared")}
    body = {"mobile_phone": {"mdn": "+19148440163"}}
    created = await app_client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    replayed = await app_client.post(url, json=body, headers=headers)
    assert (replayed.status_code, replayed.json()) == (created.status_code, created.json())
    reused = await app_client.post(url, json={"mobile_phone": {"mdn": PHONE}}, headers=headers)
    assert reused.status_code == 422
    assert set(reused.json()) == {"errors"}
    # Another credential of the company may use the same key for its own request.
    subscribe = await client.post(
        "/v1/subscriptions", json=subscribe_body("+19148440164"), headers=keyed("shared")
    )
    assert subscribe.status_code == 202


async def test_a_malformed_key_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/subscriptions", json=subscribe_body(PHONE), headers=keyed("x" * 256)
    )
    assert answer.status_code == 400


async def test_answers_past_their_lifetime_are_forgotten_by_the_worker(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.post("/v1/subscriptions", json=subscribe_body(PHONE), headers=keyed("old"))
    # A day from now, the worker's sweep forgets the answer: the key is free again.
    later = utcnow() + ANSWER_LIFETIME + timedelta(minutes=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: later)
    assert await jobs.forget_idempotent_answers(tenant.database) >= 1
    other = await client.post(
        "/v1/subscriptions", json=subscribe_body("+19148440165"), headers=keyed("old")
    )
    assert other.status_code == 202


async def test_a_request_no_route_serves_leaves_its_key_unused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = subscribe_body(PHONE, singleOptIn=True)
    wrong_method = await client.put("/v1/subscriptions", json=body, headers=keyed("route"))
    assert wrong_method.status_code == 405
    unknown_path = await client.post("/v1/subscription", json=body, headers=keyed("route"))
    assert unknown_path.status_code == 404
    # Neither answer was kept under the key: the right request with it runs, once.
    created = await client.post("/v1/subscriptions", json=body, headers=keyed("route"))
    assert created.status_code == 202, created.text
    replayed = await client.post("/v1/subscriptions", json=body, headers=keyed("route"))
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(await events(tenant.database, tenant.company_id, "subscription_created")) == 1
    # A key is still checked on the routes there are; routing comes first.
    assert (await client.put("/v1/subscriptions", headers=keyed("x" * 256))).status_code == 405


def test_every_documented_write_is_routed_before_its_key_is_read() -> None:
    # A write the routing check missed would silently run without its key.
    app = create_app(Settings(run_worker_in_process=False))
    for path, operations in app.openapi()["paths"].items():
        for method in operations.keys() & {"post", "put", "patch", "delete"}:
            url = path.replace("{", "x").replace("}", "")
            scope = {"type": "http", "method": method.upper(), "path": url, "root_path": ""}
            assert is_routed({**scope, "app": app}), (method, path)
