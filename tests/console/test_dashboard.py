"""The console dashboard's figures for a small known history, made through the
product's own doors (subscribe, STOP-style unsubscribe, the outbox worker, the expiry
sweep, the ledger's seal and verify), on both databases; another company's history
is never counted."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from optledger.core.dashboard import DashboardFigures
from optledger.core.use_cases.dashboard import dashboard_figures
from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.delivery.jobs import expire_prompts
from optledger.delivery.transports.base import Outgoing, SendResult, TransportError
from optledger.delivery.worker import DeliveryPolicy, deliver_due
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import messages, subscribe, subscribe_active
from tests.support.ledger import change

ACTIVE_PHONE, PENDING_PHONE, EXPIRING_PHONE, LEAVING_PHONE = (
    "+19148440701",
    "+19148440702",
    "+19148440703",
    "+19148440704",
)
EMAIL = "dash@example.com"


class RefusingTransport:
    """Sends every message except those to one address, which it refuses for good."""

    def __init__(self, refused: str) -> None:
        self.refused = refused

    async def send(self, message: Outgoing) -> SendResult:
        if message.to == self.refused:
            raise TransportError("number disconnected", retryable=False)
        return SendResult(provider_id=None)


async def _history(tenant: Tenant, client: httpx.AsyncClient) -> None:
    """Two active (TEXT and EMAIL), one pending, one expired, one opted out."""
    client.headers.update(tenant.api_headers)
    for response in (
        await subscribe_active(client, ACTIVE_PHONE),
        await subscribe_active(client, email=EMAIL),
        await subscribe(client, PENDING_PHONE),
        await subscribe(client, EXPIRING_PHONE),
        await subscribe_active(client, LEAVING_PHONE),
    ):
        assert response.status_code == 202, response.text
    left = await client.post(
        "/v1/subscriptions/unsubscribe", json={"user": {"phone": LEAVING_PHONE}}
    )
    assert left.status_code == 202, left.text
    # The expiry sweep takes prompts left unanswered longer than its time to live.
    await change(
        tenant.database,
        "UPDATE subscription_records SET created_at = :old "
        "WHERE company_id = :company_id AND contact_value = :phone",
        old=utcnow() - timedelta(days=4),
        company_id=tenant.company_id,
        phone=EXPIRING_PHONE,
    )
    assert await expire_prompts(tenant.database, timedelta(hours=72)) >= 1


async def _figures(tenant: Tenant, now: datetime | None = None) -> DashboardFigures:
    moment = now or utcnow()
    return await dashboard_figures(tenant.database, tenant.company_id, moment.date(), moment)


async def test_the_figures_of_a_known_history(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    other = await make_tenant(tenant.database, name="Other brand")
    await _history(other, app_client)
    await _history(tenant, app_client)
    figures = await _figures(tenant)
    active = {(count.channel, count.type): count.count for count in figures.active}
    assert active == {("EMAIL", "MARKETING"): 1, ("TEXT", "MARKETING"): 1}
    assert (figures.pending, figures.expired) == (1, 1)
    assert (figures.opt_ins.today, figures.opt_ins.in_window) == (3, 3)
    assert (figures.opt_outs.today, figures.opt_outs.in_window) == (1, 1)
    # One opt-out over the three subscribed at some point in the window.
    assert figures.opt_out_rate == 1 / 3
    # Tomorrow, today's changes are the window's only.
    tomorrow = await _figures(tenant, utcnow() + timedelta(days=1))
    assert (tomorrow.opt_ins.today, tomorrow.opt_ins.in_window) == (0, 3)
    # Thirty days on, they have left the window.
    later = await _figures(tenant, utcnow() + timedelta(days=30))
    assert (later.opt_ins.in_window, later.opt_outs.in_window, later.opt_out_rate) == (0, 0, 0.0)
    assert later.active_total == 2


async def test_messages_sent_failed_and_queued(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    await _history(tenant, app_client)
    stored = await messages(tenant.database, tenant.company_id)
    oldest = min(message.created_at for message in stored)
    before = await _figures(tenant, oldest + timedelta(seconds=90))
    assert (before.messages.sent, before.messages.failed) == (0, 0)
    assert before.messages.queued == len(stored)
    assert before.messages.oldest_queued_seconds == 90
    refusing = RefusingTransport(LEAVING_PHONE)
    while await deliver_due(
        tenant.database, {"TEXT": refusing, "EMAIL": refusing}, DeliveryPolicy()
    ):
        pass
    after = await _figures(tenant)
    to_leaving = sum(message.to_address == LEAVING_PHONE for message in stored)
    assert to_leaving >= 1
    assert (after.messages.sent, after.messages.failed) == (len(stored) - to_leaving, to_leaving)
    assert (after.messages.queued, after.messages.oldest_queued_seconds) == (0, None)


async def test_webhooks_failing_and_paused(tenant: Tenant, client: httpx.AsyncClient) -> None:
    created = []
    for n in range(3):
        response = await client.post(
            "/v1/webhooks",
            json={"url": f"https://hooks.example.com/{n}", "events": ["sms.subscribed"]},
        )
        assert response.status_code in (200, 201), response.text
        created.append(response.json()["id"])
    assert (await _figures(tenant)).webhooks.registered == 3
    # As the delivery engine leaves them: one failing, one paused by the breaker.
    await _set_breaker(tenant.database, created[0], failures=2, paused_until=None)
    await _set_breaker(
        tenant.database, created[1], failures=5, paused_until=utcnow() + timedelta(minutes=5)
    )
    health = (await _figures(tenant)).webhooks
    assert (health.registered, health.failing, health.paused) == (3, 2, 1)
    other = await make_tenant(tenant.database)
    assert (await _figures(other)).webhooks.registered == 0


async def _set_breaker(
    database: Database, webhook_id: str, *, failures: int, paused_until: datetime | None
) -> None:
    await change(
        database,
        "UPDATE webhooks SET failures_in_a_row = :failures, paused_until = :paused_until "
        "WHERE id = :id",
        failures=failures,
        paused_until=paused_until,
        id=int(webhook_id),
    )


async def test_the_ledger_s_last_seal_and_verification(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    other = await make_tenant(tenant.database)
    await _history(tenant, app_client)
    nothing = await _figures(tenant)
    assert (nothing.last_seal, nothing.last_verification) == (None, None)
    await seal_ledger(tenant.database, tenant.key)
    await verify_ledger(tenant.database, tenant.key)
    figures = await _figures(tenant)
    assert figures.last_seal is not None
    assert figures.last_seal.tree_size >= 6
    verified = figures.last_verification
    assert verified is not None
    assert (verified.ok, verified.findings) == (True, 0)
    assert verified.events == figures.last_seal.tree_size
    assert (await _figures(other)).last_verification is None
    # Someone with database access edits an event: the next verification says so.
    await change(
        tenant.database,
        "UPDATE events SET client_ip = '10.9.9.9' WHERE id = "
        "(SELECT min(id) FROM events WHERE company_id = :company_id)",
        company_id=tenant.company_id,
    )
    await verify_ledger(tenant.database, tenant.key)
    found = (await _figures(tenant)).last_verification
    assert found is not None
    assert not found.ok
    assert found.findings >= 1


def _figure(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', page)
    assert found is not None, name
    return found.group(1).strip()


async def test_the_page_shows_the_figures(
    tenant: Tenant, app_client: httpx.AsyncClient, console: httpx.AsyncClient, operator: str
) -> None:
    await _history(tenant, app_client)
    await seal_ledger(tenant.database, tenant.key)
    await verify_ledger(tenant.database, tenant.key)
    page = (await console.get("/console")).text
    assert _figure(page, "active-total") == "2"
    assert (_figure(page, "pending"), _figure(page, "expired")) == ("1", "1")
    assert (_figure(page, "opt-ins-today"), _figure(page, "opt-outs-window")) == ("3", "1")
    assert _figure(page, "opt-out-rate") == "33.33&nbsp;%"
    assert "divided by everyone" in page
    assert _figure(page, "webhooks-failing") == "0"
    assert "events in the tree" in _figure(page, "last-seal")
    assert "ok" in _figure(page, "last-verification")
    # The chart is still there.
    assert 'class="chart"' in page
