"""Webhooks in the console: register one pointing at a real receiver, send it a test
event, read the delivery log with a status filter, redeliver; the secret is shown
once; callbacks, refusals, and another company's registrations."""

from __future__ import annotations

import re

import httpx

from optledger.core.use_cases.audit import AuditEntry, AuditFilter, list_audit
from optledger.core.use_cases.webhooks import register_webhook
from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle
from optledger.delivery.webhook_client import WebhookClient
from optledger.delivery.webhooks import WebhookJobs
from optledger.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.support import webhook_fixtures
from tests.support.console_forms import csrf_of, post_form
from tests.support.webhook_fixtures import deliver_due
from tests.support.webhook_receiver import Receiver, verify

SIGNING_KEY = re.compile(r"<dt>Signing key</dt><dd><code class=\"copy\">([^<]+)</code>")
DONE_LINK = re.compile(r'href="/console/webhooks/(attentive|vibes)/(\d+)"')
database = webhook_fixtures.database
settings = webhook_fixtures.settings
receiver = webhook_fixtures.receiver
http = webhook_fixtures.http


async def audit_trail_of(tenant: Tenant, path: str) -> list[AuditEntry]:
    """The audit trail of the registration whose console page is `path`, newest first."""
    wanted = AuditFilter(tenant.company_id, object_type="webhook", object_id=path.rsplit("/", 1)[1])
    return await list_audit(tenant.database, wanted)


async def register(
    console: httpx.AsyncClient, style: str = "attentive", **fields: object
) -> httpx.Response:
    return await post_form(
        console,
        f"/console/webhooks/new?style={style}",
        "/console/webhooks/new",
        style=style,
        **fields,
    )


def created_path(page: httpx.Response) -> str:
    found = DONE_LINK.search(page.text)
    assert found is not None, page.text
    return f"/console/webhooks/{found.group(1)}/{found.group(2)}"


def row_of(page: httpx.Response, event_id: str) -> str:
    found = re.search(rf'<tr data-event-id="{event_id}">(.*?)</tr>', page.text, re.S)
    assert found is not None, page.text
    return found.group(1)


async def test_test_event_delivery_log_filter_and_redelivery(
    tenant: Tenant,
    console: httpx.AsyncClient,
    operator: str,
    receiver: Receiver,
    http: WebhookClient,
) -> None:
    created = await register(
        console, url=receiver.url, events=["sms.subscribed", "sms.unsubscribed"]
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    key_found = SIGNING_KEY.search(created.text)
    assert key_found is not None, created.text
    key = key_found.group(1)
    assert "whsec_" in created.text
    path = created_path(created)
    # Registering sends nothing; the secret is never shown again.
    assert receiver.all() == []
    for later in (path, "/console/webhooks", f"{path}/edit"):
        page = await console.get(later)
        assert page.status_code == 200
        assert key not in page.text
        assert "whsec_" not in page.text

    tested = await post_form(console, path, f"{path}/test")
    assert tested.status_code == 303
    event_id = tested.headers["location"].split("tested=")[1]
    queued = await console.get(tested.headers["location"])
    assert f"Test event evt_{event_id} queued" in queued.text
    assert "pending" in row_of(queued, event_id)

    await deliver_due(tenant.database, WebhookJobs(http))
    [first] = receiver.delivered()
    assert verify(first, key)["test"] is True
    assert first.event_id == f"evt_{event_id}"
    log = await console.get(path)
    assert "delivered" in row_of(log, event_id)

    only_delivered = await console.get(f"{path}?status=delivered")
    assert f'data-event-id="{event_id}"' in only_delivered.text
    only_dead = await console.get(f"{path}?status=dead")
    assert f'data-event-id="{event_id}"' not in only_dead.text
    assert "No dead deliveries." in only_dead.text
    assert (await console.get(f"{path}?status=lost")).status_code == 400

    again = await post_form(console, path, f"{path}/deliveries/{event_id}/redeliver")
    assert (again.status_code, again.headers["location"]) == (303, f"{path}?redelivered={event_id}")
    requeued = await console.get(again.headers["location"])
    assert f"Event evt_{event_id} queued again." in requeued.text
    assert "pending" in row_of(requeued, event_id)
    # While it waits, there is nothing finished to queue again.
    twice = await post_form(console, path, f"{path}/deliveries/{event_id}/redeliver")
    assert twice.headers["location"] == f"{path}?still_pending={event_id}"

    await deliver_due(tenant.database, WebhookJobs(http))
    assert [r.event_id for r in receiver.delivered()] == [f"evt_{event_id}"] * 2
    assert "delivered" in row_of(await console.get(path), event_id)

    trail = await audit_trail_of(tenant, path)
    assert [entry.action for entry in trail] == [
        "webhook.redelivered",
        "webhook.test_sent",
        "webhook.created",
    ]
    assert {entry.actor for entry in trail} == {operator}
    assert trail[0].changes == {"event": {"before": None, "after": f"evt_{event_id}"}}
    assert trail[2].changes["events"]["after"] == ["sms.subscribed", "sms.unsubscribed"]
    assert all(key not in repr(entry) for entry in trail)


async def test_a_refused_registration_says_why_and_keeps_what_was_typed(
    console: httpx.AsyncClient, operator: str
) -> None:
    private = await register(console, url="https://10.1.2.3/hook", events=["sms.subscribed"])
    assert private.status_code == 400
    assert "private or reserved" in private.text
    assert 'value="https://10.1.2.3/hook"' in private.text
    assert re.search(r'value="sms.subscribed" checked', private.text)
    no_events = await register(console, url="https://192.0.2.10/hook")
    assert no_events.status_code == 400
    assert "events must name at least one event" in no_events.text
    too_long = await register(
        console, url="https://192.0.2.10/" + "a" * 2048, events=["sms.subscribed"]
    )
    assert too_long.status_code == 400
    assert "url has at most 2048 characters" in too_long.text
    listed = await console.get("/console/webhooks")
    assert "10.1.2.3" not in listed.text
    assert "No webhooks or callbacks registered yet." in listed.text


async def test_a_callback_is_edited_disabled_enabled_and_deleted(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, receiver: Receiver
) -> None:
    lists = await console.get("/console/webhooks/new?style=vibes")
    list_id = re.findall(r'<option value="(\d+)"', lists.text)[0]
    refused = await register(
        console, "vibes", url=receiver.url, events="person_added", method="PUT", list_id=list_id
    )
    assert refused.status_code == 400
    assert "take a list filter" in refused.text
    assert re.search(r"<option selected>PUT</option>", refused.text)
    created = await register(
        console, "vibes", url=receiver.url, events="subscription_added", list_id=list_id
    )
    assert created.status_code == 200, created.text
    path = created_path(created)
    assert path.startswith("/console/webhooks/vibes/")

    edited = await post_form(
        console,
        f"{path}/edit",
        f"{path}/edit",
        url=receiver.url + "/v2",
        events="subscription_removed",
        method="PUT",
        list_id="",
    )
    assert edited.status_code == 303, edited.text
    page = await console.get(edited.headers["location"])
    assert f"PUT {receiver.url}/v2" in page.text
    assert "subscription_removed" in page.text

    disabled = await post_form(console, path, f"{path}/disable")
    assert disabled.headers["location"].endswith("?disabled=" + path.rsplit("/", 1)[1])
    page = await console.get(disabled.headers["location"])
    assert "disabled: disabled by the company" in page.text
    assert ">Enable</button>" in page.text
    enabled = await post_form(console, path, f"{path}/enable")
    page = await console.get(enabled.headers["location"])
    assert ">Disable</button>" in page.text

    bad_edit = await post_form(
        console, f"{path}/edit", f"{path}/edit", url="ftp://x", events="subscription_removed"
    )
    assert bad_edit.status_code == 400
    assert 'value="ftp://x"' in bad_edit.text

    question = await console.get(f"{path}/delete")
    assert question.status_code == 200
    deleted = await console.post(f"{path}/delete", data={"csrf": csrf_of(question)})
    assert deleted.headers["location"].startswith("/console/webhooks?deleted=")
    assert (await console.get(path)).status_code == 404

    trail = await audit_trail_of(tenant, path)
    assert [entry.action for entry in trail] == [
        "webhook.deleted",
        "webhook.updated",
        "webhook.updated",
        "webhook.updated",
        "webhook.created",
    ]
    assert trail[1].changes == {"disabled": {"before": True, "after": False}}
    assert trail[3].changes["method"] == {"before": "POST", "after": "PUT"}


async def test_another_companys_webhook_is_not_found(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, settings: Settings
) -> None:
    other = await make_tenant(tenant.database)
    theirs = await register_webhook(
        tenant.database,
        other.company_id,
        WebhookStyle.ATTENTIVE,
        WebhookSpec(url="http://127.0.0.1:9/hooks", events=["sms.subscribed"], disabled=True),
        settings=settings,
        actor=None,
    )
    path = f"/console/webhooks/attentive/{theirs.id}"
    assert f'data-webhook-id="{theirs.id}"' not in (await console.get("/console/webhooks")).text
    for page in (path, f"{path}/edit", f"{path}/delete"):
        assert (await console.get(page)).status_code == 404, page
    csrf = csrf_of(await console.get("/console/webhooks"))
    for action in ("edit", "disable", "enable", "test", "delete", "deliveries/1/redeliver"):
        data = {"csrf": csrf, "url": "http://127.0.0.1:9/x", "events": "sms.subscribed"}
        answer = await console.post(f"{path}/{action}", data=data)
        assert answer.status_code == 404, action
    # The other style's path does not reach it either.
    assert (await console.get(f"/console/webhooks/vibes/{theirs.id}")).status_code == 404
    trail = await list_audit(tenant.database, AuditFilter(other.company_id))
    assert trail == []


async def test_signing_out_is_recorded(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    out = await post_form(console, "/console", "/console/logout")
    assert out.status_code == 303
    trail = await list_audit(tenant.database, AuditFilter(None, actor=operator))
    assert [entry.action for entry in trail][:2] == ["sign_out", "sign_in"]
    assert trail[0].object_id == operator
