"""Webhook delivery end to end: consent changes from every door reach a real receiver
on 127.0.0.1, signed twice, retried as promised, in order per subscriber."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from optledger.core.webhooks.destinations import DestinationRules, UnsafeDestination
from optledger.delivery import jobs
from optledger.delivery.engine import deliver_batch, pump
from optledger.delivery.webhook_client import (
    CheckedResolver,
    WebhookClient,
    open_webhook_client,
)
from optledger.delivery.webhooks import WebhookJobs
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from tests.conftest import Tenant
from tests.support import webhook_fixtures
from tests.support.helpers import (
    IPV6_FORMS_OF_PRIVATE,
    list_id,
    persons,
    subscribe,
    subscribe_active,
    text_in,
    vibes_headers,
)
from tests.support.webhook_fixtures import AT_ONCE, LOOPBACK, deliver_due
from tests.support.webhook_receiver import Received, Receiver, verify

ALL_EVENTS = [
    "sms.subscribed",
    "sms.unsubscribed",
    "email.subscribed",
    "email.unsubscribed",
    "custom_attribute.set",
]
database = webhook_fixtures.database
settings = webhook_fixtures.settings
receiver = webhook_fixtures.receiver
http = webhook_fixtures.http


def webhook_jobs(http: WebhookClient, **options: Any) -> WebhookJobs:
    return WebhookJobs(http, **options)


async def register(
    client: httpx.AsyncClient, receiver: Receiver, events: list[str] = ALL_EVENTS
) -> tuple[str, str]:
    """A webhook to the receiver: its id and signing key."""
    response = await client.post("/v1/webhooks", json={"url": receiver.url, "events": events})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["signingKey"]


async def log_of(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    return deliveries


def verified(received: list[Received], key: str) -> list[dict[str, Any]]:
    return [verify(item, key) for item in received]


async def test_every_door_reaches_the_receiver_signed(
    client: httpx.AsyncClient,
    app_client: httpx.AsyncClient,
    tenant: Tenant,
    receiver: Receiver,
    http: WebhookClient,
) -> None:
    webhook_id, key = await register(client, receiver)
    phone, confirmed, legacy, vibes, erased = (f"+1914844{n:04d}" for n in range(5000, 5005))
    email = "every.door@example.com"
    # Attentive subscriptions, attributes (v1 and v2) and unsubscribe.
    await subscribe_active(client, phone, externalIdentifiers={"clientUserId": "crm-7"})
    await subscribe_active(client, email=email)
    await client.post(
        "/v1/attributes/custom", json={"properties": {"tier": "gold"}, "user": {"phone": phone}}
    )
    v2 = await client.post(
        "/v2/user/attributes",
        json={"attributes": {"size": "M"}, "identifiers": {"email": email}},
    )
    assert v2.status_code == 202, v2.text
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": phone}})
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"email": email}})
    # Inbound SMS: a double opt-in confirmed with Y, then STOP.
    await subscribe(client, confirmed)
    await text_in(client, tenant.key, confirmed, "Y")
    await text_in(client, tenant.key, confirmed, "STOP")
    # The legacy API.
    await subscribe_active(client, legacy)
    gone = await app_client.post(
        "/1/subscribers/unsubscribe",
        json={"phone": legacy, "sendOptOutMessage": False},
        headers=tenant.legacy_headers,
    )
    assert gone.status_code == 200, gone.text
    # The Vibes API.
    await subscribe_active(client, vibes)
    found = await app_client.get(f"{persons(tenant)}?mdn={vibes}", headers=vibes_headers(tenant))
    marketing = await list_id(app_client, tenant, "MARKETING", "TEXT")
    left = await app_client.delete(
        f"{persons(tenant)}/{found.json()['person_key']}/subscriptions/{marketing}",
        headers=vibes_headers(tenant),
    )
    assert left.status_code == 204, left.text
    # A privacy erasure ends what was open.
    await subscribe_active(client, erased)
    erasure = await client.post("/v1/privacy/delete-request", json={"subjectPhone": erased})
    assert erasure.status_code == 200, erasure.text

    await deliver_due(tenant.database, webhook_jobs(http))
    received = receiver.delivered()
    payloads = verified(received, key)
    assert len({item.event_id for item in received}) == len(received)
    by_subscriber: dict[str, list[str]] = defaultdict(list)
    for payload in payloads:
        subscriber = payload["subscriber"]
        by_subscriber[subscriber["phone"] or subscriber["email"] or "erased"].append(
            payload["type"]
        )
    assert by_subscriber[phone] == ["sms.subscribed", "custom_attribute.set", "sms.unsubscribed"]
    assert by_subscriber[email] == [
        "email.subscribed",
        "custom_attribute.set",
        "email.unsubscribed",
    ]
    for number in (confirmed, legacy, vibes):
        assert by_subscriber[number] == ["sms.subscribed", "sms.unsubscribed"], number
    # The erased number's own changes arrive too (whatever its payload may still name).
    types = [payload["type"] for payload in payloads]
    assert (types.count("sms.subscribed"), types.count("sms.unsubscribed")) == (5, 5)
    first = next(p for p in payloads if p["subscriber"]["phone"] == phone)
    assert first["company"] == {"display_name": "Acme", "company_id": tenant.key}
    assert first["subscriber"]["external_identifiers"] == {"clientUserId": "crm-7"}
    assert first["subscription"] == {"type": "MARKETING", "channel": "TEXT"}
    assert isinstance(first["timestamp"], int)
    assert all(entry["status"] == "delivered" for entry in await log_of(client, webhook_id))


async def test_a_500_is_retried_and_delivered_once(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, http: WebhookClient
) -> None:
    webhook_id, key = await register(client, receiver)
    receiver.planned = [500]
    await subscribe_active(client, "+19148445101")
    await deliver_due(tenant.database, webhook_jobs(http))
    assert [r.status for r in receiver.all()] == [500, 200]
    assert receiver.all()[0].event_id == receiver.all()[1].event_id
    [payload] = verified(receiver.delivered(), key)
    assert payload["type"] == "sms.subscribed"
    [entry] = await log_of(client, webhook_id)
    assert entry["status"] == "delivered"
    assert entry["attempts"] == 2
    assert entry["lastStatusCode"] == 200
    assert entry["eventId"] == receiver.all()[0].event_id


async def test_4xx_is_never_retried_and_410_disables(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, http: WebhookClient
) -> None:
    webhook_id, _ = await register(client, receiver)
    receiver.planned = [400]
    await subscribe_active(client, "+19148445102")
    await deliver_due(tenant.database, webhook_jobs(http))
    assert [r.status for r in receiver.all()] == [400]
    [entry] = await log_of(client, webhook_id)
    assert (entry["status"], entry["attempts"], entry["lastStatusCode"]) == ("dead", 1, 400)

    receiver.planned = [410]
    await subscribe_active(client, "+19148445103")
    await deliver_due(tenant.database, webhook_jobs(http))
    assert [r.status for r in receiver.all()] == [400, 410]
    registration = (await client.get(f"/v1/webhooks/{webhook_id}")).json()
    assert registration["disabledAt"] is not None
    assert "410" in registration["disabledReason"]
    # A disabled webhook is sent nothing more.
    await subscribe_active(client, "+19148445104")
    await deliver_due(tenant.database, webhook_jobs(http))
    assert len(receiver.all()) == 2


async def test_a_receiver_slower_than_the_timeout_is_retried(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    webhook_id, key = await register(client, receiver)
    await subscribe_active(client, "+19148445105")
    receiver.delay = 1.0
    async with open_webhook_client(LOOPBACK, timeout_seconds=0.3) as impatient:
        jobs = webhook_jobs(impatient)
        assert await deliver_batch(tenant.database, jobs, AT_ONCE) == 1
        [entry] = await log_of(client, webhook_id)
        assert (entry["status"], entry["lastError"]) == ("pending", "timed out")
        receiver.delay = 0
        await deliver_due(tenant.database, jobs)
    [entry] = await log_of(client, webhook_id)
    assert (entry["status"], entry["attempts"]) == ("delivered", 2)
    # The receiver saw the same event twice: it deduplicates by webhook-id.
    await asyncio.sleep(1)
    assert len({r.event_id for r in receiver.delivered()}) == 1
    verified(receiver.delivered(), key)


async def test_a_burst_while_the_receiver_is_down_arrives_once_and_in_order(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, http: WebhookClient
) -> None:
    webhook_id, key = await register(client, receiver, ["sms.subscribed", "sms.unsubscribed"])
    receiver.stop()
    phones = [f"+1914846{n:04d}" for n in range(500)]
    for phone in phones:
        await subscribe_active(client, phone)
        await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": phone}})
    jobs = webhook_jobs(http, breaker_threshold=50, breaker_pause=timedelta(0))
    assert await deliver_batch(tenant.database, jobs, AT_ONCE) == 100
    assert receiver.all() == []
    registration = (await client.get(f"/v1/webhooks/{webhook_id}")).json()
    assert registration["pausedUntil"] is not None
    receiver.start()
    await deliver_due(tenant.database, jobs)
    received = receiver.delivered()
    assert len({r.event_id for r in received}) == 1000
    order: dict[str, list[str]] = defaultdict(list)
    for payload in verified(received, key):
        order[payload["subscriber"]["phone"]].append(payload["type"])
    assert set(order) == set(phones)
    assert all(types == ["sms.subscribed", "sms.unsubscribed"] for types in order.values())


async def test_the_breaker_pauses_a_failing_receiver_and_closes_on_success(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, http: WebhookClient
) -> None:
    webhook_id, _ = await register(client, receiver)
    for n in range(3):
        await subscribe_active(client, f"+1914844520{n}")
    receiver.planned = [503, 503, 503]
    jobs = webhook_jobs(http, breaker_threshold=3, breaker_pause=timedelta(seconds=1))
    assert await deliver_batch(tenant.database, jobs, AT_ONCE) == 3
    paused = (await client.get(f"/v1/webhooks/{webhook_id}")).json()
    assert paused["pausedUntil"] is not None
    # Paused: due deliveries wait instead of hammering the receiver.
    assert await deliver_batch(tenant.database, jobs, AT_ONCE) == 0
    await asyncio.sleep(1.1)
    await deliver_due(tenant.database, jobs)
    assert len(receiver.delivered()) == 3
    closed = (await client.get(f"/v1/webhooks/{webhook_id}")).json()
    assert closed["pausedUntil"] is None


async def test_a_destination_is_checked_again_at_delivery(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    webhook_id, _ = await register(client, receiver)
    await subscribe_active(client, "+19148445301")
    # The operator's rules no longer allow loopback (as if the name now resolved there).
    async with open_webhook_client(DestinationRules(), timeout_seconds=2) as strict:
        await deliver_due(tenant.database, WebhookJobs(strict))
    assert receiver.all() == []
    [entry] = await log_of(client, webhook_id)
    assert entry["status"] == "dead"
    assert entry["lastError"].startswith("refused")


async def test_a_host_name_is_checked_as_it_resolves(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, http: WebhookClient
) -> None:
    response = await client.post(
        "/v1/webhooks",
        json={"url": f"http://localhost:{receiver.port}/named", "events": ["sms.subscribed"]},
    )
    assert response.status_code == 201, response.text
    await subscribe_active(client, "+19148445302")
    await deliver_due(tenant.database, webhook_jobs(http))
    assert [item.path for item in receiver.all()] == ["/named"]
    # The connection goes to an address the rules allow, whatever DNS answers by then.
    with pytest.raises(UnsafeDestination):
        await CheckedResolver(DestinationRules()).resolve("localhost.", 443)
    found = await CheckedResolver(LOOPBACK).resolve("localhost.", 443)
    assert "127.0.0.1" in {address["host"] for address in found}


@pytest.mark.parametrize("host", [url[9:-2] for url in IPV6_FORMS_OF_PRIVATE])
async def test_ipv6_forms_of_private_addresses_are_refused_at_connect(
    host: str, http: WebhookClient
) -> None:
    # The resolver the connections go through, and the check of an address in the URL.
    with pytest.raises(UnsafeDestination):
        await CheckedResolver(LOOPBACK).resolve(host, 443)
    sent = await http.send("POST", f"https://[{host}]/hook", b"{}", {})
    assert (sent.ok, sent.retryable) == (False, False)
    assert str(sent.error).startswith("refused")


def start_worker(database: Database, lease_seconds: int) -> subprocess.Popen[bytes]:
    """A real `optledger worker` process on the test database."""
    env = {
        **os.environ,
        "OPTLEDGER_DATABASE_URL": database.url,
        "OPTLEDGER_ALLOW_HTTP_WEBHOOKS": "1",
        "OPTLEDGER_WORKER_LEASE_SECONDS": str(lease_seconds),
        "OPTLEDGER_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "optledger", "worker"], env=env)


async def wait_for(condition: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    _, key = await register(client, receiver, ["sms.subscribed"])
    phones = [f"+1914847{n:04d}" for n in range(60)]
    for phone in phones:
        await subscribe_active(client, phone)
    receiver.delay = 0.5  # deliveries stay in flight for a while
    first = start_worker(tenant.database, lease_seconds=2)
    try:
        await wait_for(lambda: len(receiver.all()) >= 1, within=30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    receiver.delay = 0
    second = start_worker(tenant.database, lease_seconds=2)
    try:
        await wait_for(lambda: len({r.event_id for r in receiver.delivered()}) == 60, within=60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    arrived = {payload["subscriber"]["phone"] for payload in verified(receiver.delivered(), key)}
    assert arrived == set(phones)


async def test_the_sweep_forgets_finished_deliveries_after_thirty_days(
    client: httpx.AsyncClient,
    tenant: Tenant,
    receiver: Receiver,
    http: WebhookClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook_id, _ = await register(client, receiver)
    await subscribe_active(client, "+19148445401")
    await deliver_due(tenant.database, webhook_jobs(http))
    receiver.stop()  # the next one stays pending
    await subscribe_active(client, "+19148445402")
    assert await jobs.forget_finished_deliveries(tenant.database) == 0
    later = utcnow() + jobs.DELIVERY_LOG_LIFETIME + timedelta(minutes=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: later)
    # Every company's finished deliveries go (the test database is shared).
    assert await jobs.forget_finished_deliveries(tenant.database) >= 1
    assert [entry["status"] for entry in await log_of(client, webhook_id)] == ["pending"]
    receiver.start()


async def test_a_slow_receiver_does_not_hold_back_the_others(
    client: httpx.AsyncClient, tenant: Tenant, http: WebhookClient
) -> None:
    # The slow receiver sits on its first delivery long enough that twenty fast ones
    # get through meanwhile even on a machine busy with other tests.
    slow, fast = Receiver(delay=6.0).start(), Receiver().start()
    try:
        await register(client, slow, ["sms.subscribed"])
        await register(client, fast, ["sms.subscribed"])
        stop = asyncio.Event()
        worker = asyncio.create_task(
            pump(tenant.database, webhook_jobs(http), AT_ONCE, stop, asyncio.Event())
        )
        started = time.monotonic()
        for n in range(20):
            await subscribe_active(client, f"+1914844{5600 + n}")
        # Every fast delivery arrives while the slow receiver still sits on its first.
        await wait_for(lambda: len(fast.delivered()) == 20, within=5.0)
        assert time.monotonic() - started < 5.5
        assert slow.delivered() == []
        stop.set()
        await worker
    finally:
        slow.stop()
        fast.stop()
