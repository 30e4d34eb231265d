"""`optledger webhooks`, run as the installed program on the tests' database."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import httpx

from optledger.core.use_cases.audit import AuditFilter, list_audit
from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle, register_webhook
from optledger.storage.clock import utcnow
from optledger.storage.repositories.webhook_deliveries import LoggedDelivery, deliveries_of
from optledger.storage.repositories.webhooks import WebhookRow, disable_webhook
from optledger.storage.sql import Connection, Query
from tests.conftest import Tenant
from tests.support.helpers import run_optledger, subscribe_active

PHONE = "+19148440271"
URL = "https://192.0.2.10/x"
SET_STATUS = Query("UPDATE webhook_deliveries SET status = :status WHERE id = :id")
PAUSE = Query("UPDATE webhooks SET failures_in_a_row = 5, paused_until = :until WHERE id = :id")


def optledger(tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    return run_optledger(tenant.database, "webhooks", *args)


async def registered(tenant: Tenant) -> WebhookRow:
    spec = WebhookSpec(url=URL, events=["sms.subscribed"])
    return await tenant.database.run(
        lambda connection: register_webhook(
            connection, tenant.company_id, WebhookStyle.ATTENTIVE, spec
        )
    )


async def register(tenant: Tenant) -> int:
    return (await registered(tenant)).id


async def logged(tenant: Tenant, webhook_id: int) -> list[LoggedDelivery]:
    return await tenant.database.read(
        lambda connection: deliveries_of(connection, webhook_id, limit=50)
    )


async def set_status(tenant: Tenant, delivery_id: int, status: str) -> None:
    async def apply(connection: Connection) -> None:
        await connection.execute(SET_STATUS, {"status": status, "id": delivery_id})

    await tenant.database.run(apply)


async def test_list_shows_each_registration_with_its_state(tenant: Tenant) -> None:
    # Before any registration, --json prints one empty array (never nothing).
    assert json.loads(optledger(tenant, "list", "--company", tenant.key, "--json").stdout) == []
    first_row = await registered(tenant)
    active, disabled, paused = first_row.id, await register(tenant), await register(tenant)
    await tenant.database.run(
        lambda connection: disable_webhook(connection, disabled, "receiver said 410", utcnow())
    )

    async def pause(connection: Connection) -> None:
        await connection.execute(PAUSE, {"until": utcnow() + timedelta(hours=1), "id": paused})

    await tenant.database.run(pause)

    table = optledger(tenant, "list", "--company", tenant.key)
    assert table.returncode == 0, table.stderr
    rows = {line.split()[1]: line for line in table.stdout.splitlines() if tenant.key in line}
    assert set(rows) == {str(active), str(disabled), str(paused)}
    assert "active" in rows[str(active)]
    assert URL in rows[str(active)]
    assert "disabled: receiver said 410" in rows[str(disabled)]
    assert "paused until" in rows[str(paused)]

    printed = optledger(tenant, "list", "--company", tenant.key, "--json")
    assert printed.returncode == 0, printed.stderr
    listed = json.loads(printed.stdout)
    assert [item["id"] for item in listed] == [active, disabled, paused]
    first = listed[0]
    assert first["company"] == tenant.key
    assert (first["style"], first["url"], first["events"]) == ("attentive", URL, ["sms.subscribed"])
    assert first["state"] == "active"
    assert [item["failures_in_a_row"] for item in listed] == [0, 0, 5]
    assert listed[1]["state"] == "disabled: receiver said 410"
    assert listed[2]["state"].startswith("paused until ")
    # The key that signs deliveries stays in the database.
    assert all("signing_key" not in item for item in listed)
    assert first_row.signing_key not in printed.stdout
    assert first_row.signing_key not in table.stdout


async def test_list_of_an_unknown_company_is_an_error(tenant: Tenant) -> None:
    done = optledger(tenant, "list", "--company", "no-such-company")
    assert done.returncode == 1
    assert "no-such-company" in done.stdout


async def test_deliveries_shows_the_log_newest_first(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    webhook = await register(tenant)
    await subscribe_active(client, PHONE)
    await subscribe_active(client, "+19148440272")
    older, newer = sorted(await logged(tenant, webhook), key=lambda d: d.id)

    printed = optledger(tenant, "deliveries", str(webhook), "--json")
    assert printed.returncode == 0, printed.stderr
    shown = json.loads(printed.stdout)
    assert [item["id"] for item in shown] == [newer.id, older.id]
    assert shown[0]["event_id"] == f"evt_{newer.event_id}"
    assert (shown[0]["name"], shown[0]["status"], shown[0]["attempts"]) == (
        "sms.subscribed",
        "pending",
        0,
    )

    one = optledger(tenant, "deliveries", str(webhook), "--limit", "1", "--json")
    assert [row["id"] for row in json.loads(one.stdout)] == [newer.id]

    table = optledger(tenant, "deliveries", str(webhook))
    assert table.returncode == 0, table.stderr
    assert f"webhook {webhook} of {tenant.key}" in table.stdout
    newest, oldest = f"evt_{newer.event_id}", f"evt_{older.event_id}"
    assert table.stdout.index(newest) < table.stdout.index(oldest)
    assert "pending" in table.stdout
    assert "next " in table.stdout


async def test_deliveries_of_an_unknown_webhook_is_an_error(tenant: Tenant) -> None:
    done = optledger(tenant, "deliveries", "987654321")
    assert done.returncode == 1
    assert "no webhook has the id 987654321" in done.stdout


async def test_redeliver_queues_finished_deliveries_again(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    webhook = await register(tenant)
    await subscribe_active(client, PHONE)
    [delivery] = await logged(tenant, webhook)
    await set_status(tenant, delivery.id, "dead")

    done = optledger(tenant, "redeliver", f"evt_{delivery.event_id}")
    assert done.returncode == 0, done.stderr
    assert f"evt_{delivery.event_id}: 1 delivery queued again" in done.stdout
    [again] = await logged(tenant, webhook)
    assert (again.status, again.attempts) == ("pending", 0)

    # Still pending: nothing to queue, and the operator is told so.
    refused = optledger(tenant, "redeliver", f"evt_{delivery.event_id}")
    assert refused.returncode == 1
    assert "nothing to redeliver" in refused.stdout

    await set_status(tenant, delivery.id, "delivered")
    bare = optledger(tenant, "redeliver", str(delivery.event_id), "--webhook", str(webhook))
    assert bare.returncode == 0, bare.stderr
    assert [d.status for d in await logged(tenant, webhook)] == ["pending"]
    # Each time something was queued is in the audit trail; the refusal is not.
    wanted = AuditFilter(tenant.company_id, object_type="webhook", object_id=str(webhook))
    trail = await list_audit(tenant.database, wanted)
    assert [entry.action for entry in trail] == ["webhook.redelivered"] * 2
    assert all(entry.actor.startswith("cli:") for entry in trail)
    assert trail[0].changes == {"event": {"before": None, "after": f"evt_{delivery.event_id}"}}


async def test_redeliver_of_an_unknown_event_is_an_error(tenant: Tenant) -> None:
    done = optledger(tenant, "redeliver", "evt_987654321")
    assert done.returncode == 1
    assert "nothing to redeliver: evt_987654321" in done.stdout

    unknown_webhook = optledger(tenant, "redeliver", "1", "--webhook", "987654321")
    assert unknown_webhook.returncode == 1
    assert "no webhook has the id 987654321" in unknown_webhook.stdout

    garbage = optledger(tenant, "redeliver", "evt_x1")
    assert garbage.returncode == 2


async def test_test_queues_a_test_event_and_records_who_sent_it(tenant: Tenant) -> None:
    webhook = await register(tenant)
    done = optledger(tenant, "test", str(webhook))
    assert done.returncode == 0, done.stdout + done.stderr
    [delivery] = await logged(tenant, webhook)
    assert (delivery.status, delivery.name) == ("pending", "sms.subscribed")
    assert f"evt_{delivery.event_id} queued for webhook {webhook} of {tenant.key}" in done.stdout
    wanted = AuditFilter(tenant.company_id, object_type="webhook", object_id=str(webhook))
    [entry] = await list_audit(tenant.database, wanted)
    assert entry.action == "webhook.test_sent"
    assert entry.actor.startswith("cli:")
    assert entry.changes == {"event": {"before": None, "after": f"evt_{delivery.event_id}"}}

    unknown = optledger(tenant, "test", "987654321")
    assert unknown.returncode == 1
    assert "no webhook has the id 987654321" in unknown.stdout
