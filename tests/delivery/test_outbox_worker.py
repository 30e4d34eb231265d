"""The outbox worker against a real HTTP sink: retries, dead letters, the message log."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from optledger.delivery.transports.base import Outgoing, SendResult
from optledger.delivery.transports.webhook import WebhookTransport
from optledger.delivery.worker import DeliveryPolicy, deliver_due
from tests.conftest import Outbox, Tenant, make_tenant
from tests.support.helpers import events, messages, queue_one
from tests.support.sink import HttpSink

PHONE = "+19148440021"


async def test_5xx_is_retried_with_the_same_key_then_sent_and_logged(
    tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    queued = await queue_one(tenant, PHONE)
    http_sink.planned_statuses.extend([503, 500])
    await outbox.deliver()
    [message] = await messages(tenant.database, tenant.company_id, PHONE)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, None)
    assert message.provider_id is not None
    assert message.provider_id.startswith("sink-")
    [delivered] = http_sink.to(PHONE, tenant.key)
    assert delivered["id"] == queued.idempotency_key
    [sent] = await events(tenant.database, tenant.company_id, "message_sent")
    assert sent.data["idempotency_key"] == queued.idempotency_key


async def test_4xx_is_a_dead_letter_at_once(
    tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await queue_one(tenant, PHONE)
    http_sink.planned_statuses.append(422)
    await outbox.deliver()
    [message] = await messages(tenant.database, tenant.company_id, PHONE)
    assert (message.status, message.attempts) == ("dead", 1)
    assert message.last_error is not None
    assert "422" in message.last_error
    assert len(await events(tenant.database, tenant.company_id, "message_dead")) == 1


async def test_the_last_failed_attempt_is_a_dead_letter(
    tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await queue_one(tenant, PHONE)
    http_sink.planned_statuses.extend([503] * 3)
    outbox.policy = dataclasses.replace(outbox.policy, max_attempts=3)
    await outbox.deliver()
    [message] = await messages(tenant.database, tenant.company_id, PHONE)
    assert (message.status, message.attempts) == ("dead", 3)
    assert http_sink.to(PHONE, tenant.key) == []


async def test_a_timeout_is_retried(tenant: Tenant, outbox: Outbox, http_sink: HttpSink) -> None:
    await queue_one(tenant, PHONE)
    http_sink.delay = 0.5
    async with httpx.AsyncClient(timeout=0.1) as impatient:
        outbox.transports["TEXT"] = WebhookTransport(impatient, http_sink.url)
        outbox.policy = dataclasses.replace(outbox.policy, max_attempts=2)
        await outbox.deliver()
    [message] = await messages(tenant.database, tenant.company_id, PHONE)
    assert (message.status, message.attempts) == ("dead", 2)
    assert message.last_error is not None
    assert "Timeout" in message.last_error


async def test_backoff_waits_before_the_next_attempt(
    tenant: Tenant, outbox: Outbox, http_sink: HttpSink
) -> None:
    await queue_one(tenant, PHONE)
    http_sink.planned_statuses.append(503)
    outbox.policy = dataclasses.replace(outbox.policy, backoff_base_seconds=30)
    await outbox.deliver()  # one failed attempt; the next is not due for ~30 s
    [message] = await messages(tenant.database, tenant.company_id, PHONE)
    assert (message.status, message.attempts) == ("queued", 1)
    delay = (message.next_attempt_at - message.created_at).total_seconds()
    assert 20 < delay < 40


async def test_messages_api_shows_the_log_to_its_own_company_only(
    client: httpx.AsyncClient, tenant: Tenant, outbox: Outbox
) -> None:
    queued = await queue_one(tenant, PHONE)
    await outbox.deliver()
    response = await client.get("/v1/messages", params={"to": PHONE})
    assert response.status_code == 200, response.text
    [shown] = response.json()["messages"]
    assert shown["idempotencyKey"] == queued.idempotency_key
    assert (shown["kind"], shown["status"], shown["attempts"]) == ("HELP", "sent", 1)
    assert shown["providerId"].startswith("sink-")

    other = await make_tenant(tenant.database)
    response = await client.get("/v1/messages", params={"to": PHONE}, headers=other.api_headers)
    assert response.json() == {"messages": []}
    assert (await client.get("/v1/messages", params={"to": "not an address"})).status_code == 400
    response = await client.get(
        "/v1/messages", params={"to": PHONE}, headers={"Authorization": "Bearer nope.nope"}
    )
    assert response.status_code == 401


class StoppingTransport:
    """Sends one message, and on it the worker is told to stop."""

    channel = "TEXT"

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.sent: list[str] = []

    async def send(self, message: Outgoing) -> SendResult:
        self.stop.set()
        await asyncio.sleep(0.01)
        self.sent.append(message.to)
        return SendResult(provider_id=None)


async def test_a_stopping_worker_finishes_sends_in_flight_and_gives_back_the_rest(
    tenant: Tenant,
) -> None:
    queued = [await queue_one(tenant, to=f"+1914844005{n}") for n in range(3)]
    stop = asyncio.Event()
    transport = StoppingTransport(stop)
    claimed = await deliver_due(tenant.database, {"TEXT": transport}, DeliveryPolicy(), stop)
    # (Messages other tests left queued may share the batch.)
    assert claimed >= 3
    assert len(transport.sent) == 1
    after = {m.id: m for m in await messages(tenant.database, tenant.company_id)}
    left = [after[m.id] for m in queued if after[m.id].to_address not in transport.sent]
    assert len(left) >= 2
    # Untried and unleased: any worker claims them at once, with no attempt spent.
    assert all(m.status == "queued" and m.attempts == 0 for m in left)
    assert all(m.claimed_until is None for m in left)
