"""`optledger ledger verify` replays each record's events: a record changed with no
event is named, and random histories driven through every door replay to exactly
what is stored."""

from __future__ import annotations

import csv
import itertools
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optledger.core.use_cases.ledger import seal_ledger, verify_ledger
from optledger.delivery.jobs import expire_prompts
from optledger.storage.sql import Query
from tests.conftest import Tenant
from tests.support.helpers import (
    list_id,
    persons,
    records,
    run_optledger,
    subscribe,
    text_in,
    vibes_headers,
)
from tests.support.ledger import change, events_not_stored_canonically


def subscriber(number: int) -> tuple[str, str]:
    """A phone number and the client user id it subscribes with."""
    return f"+1914666{number:04d}", f"replay-{number}"


async def test_a_record_changed_with_no_event_is_named_with_the_field(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    phone, _ = subscriber(0)
    response = await subscribe(client, phone, singleOptIn=True)
    assert response.status_code == 202, response.text
    [record] = await records(tenant.database, tenant.company_id, phone)
    assert (await verify_ledger(tenant.database, tenant.key)).ok

    await change(
        tenant.database,
        "UPDATE subscription_records SET status = 'ENDED' WHERE id = :id",
        id=record.id,
    )
    done = run_optledger(tenant.database, "ledger", "verify", "--company", tenant.key, "--json")
    assert done.returncode == 1
    [finding] = json.loads(done.stdout)["findings"]
    assert (finding["kind"], finding["record_id"], finding["event_id"]) == (
        "unexplained_record",
        record.id,
        None,
    )
    assert "status: stored ENDED (ended), replayed ACTIVE (open)" in finding["detail"]
    text = run_optledger(tenant.database, "ledger", "verify", "--company", tenant.key)
    assert f"unexplained_record {tenant.key} record {record.id}" in text.stdout

    # An opt-out date written in with no opt-out event.
    await change(
        tenant.database,
        "UPDATE subscription_records SET status = 'ACTIVE', opt_out_date = opt_in_date "
        "WHERE id = :id",
        id=record.id,
    )
    [found] = (await verify_ledger(tenant.database, tenant.key)).findings
    assert found.record_id == record.id
    assert found.detail.startswith(f"record {record.id}: opt_out_date: stored 20")
    assert found.detail.endswith("replayed none")


async def test_a_record_with_no_events_is_named(tenant: Tenant, client: httpx.AsyncClient) -> None:
    phone, _ = subscriber(1)
    await subscribe(client, phone)
    [record] = await records(tenant.database, tenant.company_id, phone)
    await change(tenant.database, "DELETE FROM events WHERE record_id = :id", id=record.id)
    [finding] = (await verify_ledger(tenant.database, tenant.key)).findings
    assert (finding.kind, finding.record_id) == ("unexplained_record", record.id)
    assert "no event that opens it" in finding.detail


STEPS = st.sampled_from(
    [
        "subscribe_single",
        "subscribe_double",
        "reply_y",
        "reply_n",
        "stop",
        "start",
        "attentive_unsubscribe",
        "vibes_unsubscribe",
        "legacy_unsubscribe",
        "expire",
        "import",
    ]
)
_numbers = itertools.count(100)


async def take(
    step: str, tenant: Tenant, client: httpx.AsyncClient, folder: Path, number: int
) -> None:
    """Do one step of the history of subscriber `number`, through its door; a step
    the state refuses (a reply with no prompt, a repeat opt-out) is answered, not failed."""
    phone, client_user = subscriber(number)
    response: httpx.Response | None = None
    if step in ("subscribe_single", "subscribe_double"):
        external = {"clientUserId": client_user}
        single = step == "subscribe_single"
        response = await subscribe(client, phone, singleOptIn=single, externalIdentifiers=external)
    elif step in ("reply_y", "reply_n", "stop", "start"):
        await text_in(client, tenant.key, phone, step.rsplit("_", 1)[-1].upper())
    elif step == "attentive_unsubscribe":
        response = await client.post(
            "/v1/subscriptions/unsubscribe", json={"user": {"phone": phone}}
        )
    elif step == "vibes_unsubscribe":
        marketing = await list_id(client, tenant, "MARKETING", "TEXT")
        url = f"{persons(tenant)}/external/{client_user}/subscriptions/{marketing}"
        response = await client.delete(url, headers=vibes_headers(tenant))
    elif step == "legacy_unsubscribe":
        response = await client.post(
            "/1/subscribers/unsubscribe",
            json={"phone": phone, "sendOptOutMessage": False},
            headers=tenant.legacy_headers,
        )
    elif step == "expire":
        await expire_prompts(tenant.database, timedelta(0))
    else:
        path = folder / f"import-{number}.csv"
        with path.open("w", newline="") as handle:
            # Consent given before now, to the microsecond: the record's opt-in date.
            csv.writer(handle).writerows(
                [["phone", "opted_in_at"], [phone, "2025-06-01T12:34:56.789012+00:00"]]
            )
        done = run_optledger(
            tenant.database,
            "import",
            str(path),
            "--unit",
            tenant.unit_id("MARKETING"),
            "--company",
            tenant.key,
        )
        assert "Traceback" not in done.stderr, done.stderr
    assert response is None or response.status_code < 500, response.text


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(STEPS, min_size=1, max_size=6))
# Every door at least once, whatever is drawn: each of these steps moves a record.
@example(
    history=[
        "import",
        "attentive_unsubscribe",
        "subscribe_double",
        "reply_y",
        "stop",
        "start",
        "legacy_unsubscribe",
        "subscribe_single",
        "vibes_unsubscribe",
        "subscribe_double",
        "expire",
        "subscribe_double",
        "reply_n",
    ]
)
async def test_random_histories_through_every_door_replay_to_the_stored_records(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path, history: list[str]
) -> None:
    # Each example is a new subscriber of the same company: the check covers them all.
    number = next(_numbers)
    for step in history:
        await take(step, tenant, client, tmp_path, number)
    stored = await records(tenant.database, tenant.company_id, subscriber(number)[0])
    if history[0].startswith("subscribe"):
        assert stored
    await seal_ledger(tenant.database, tenant.key)
    tally = await verify_ledger(tenant.database, tenant.key)
    assert tally.findings == []
    assert tally.sealed == tally.events
    # Every door writes an event's data in the form verification can hash as stored.
    assert await events_not_stored_canonically(tenant.database, tenant.company_id) == []


async def test_a_consent_time_spelt_with_an_escape_is_still_read(
    tenant: Tenant, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    number = 900
    await take("import", tenant, client, tmp_path, number)
    await seal_ledger(tenant.database, tenant.key)
    [record] = await records(tenant.database, tenant.company_id, subscriber(number)[0])
    opening = await tenant.database.read(
        lambda connection: connection.fetchrow(
            Query(
                "SELECT id, data FROM events "
                "WHERE record_id = :id AND type = 'subscription_created'"
            ),
            {"id": record.id},
        )
    )
    assert opening is not None
    assert '"opted_in_at"' in opening["data"]
    # The same JSON with the key spelt with an escape: its leaf still matches, and
    # its consent time is still the record's opt-in date.
    escaped = opening["data"].replace('"opted_in_at"', '"opted_\\u0069n_at"')
    await change(
        tenant.database,
        "UPDATE events SET data = :data WHERE id = :id",
        data=escaped,
        id=opening["id"],
    )
    assert (await verify_ledger(tenant.database, tenant.key)).findings == []

    # The record's opt-in date moved to the event's own time, which a replay that
    # missed the key would take for the truth.
    await change(
        tenant.database,
        "UPDATE subscription_records SET opt_in_date = "
        "(SELECT created_at FROM events WHERE id = :event) WHERE id = :id",
        event=opening["id"],
        id=record.id,
    )
    findings = (await verify_ledger(tenant.database, tenant.key)).findings
    assert [(finding.kind, finding.record_id) for finding in findings] == [
        ("unexplained_record", record.id)
    ]
    assert "opt_in_date" in findings[0].detail


async def test_records_are_replayed_across_pages_each_once(
    tenant: Tenant, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of two records: five records cross two page boundaries and end on a short page.
    monkeypatch.setattr("optledger.core.ledger.replay.PAGE", 2)
    phones = [subscriber(number)[0] for number in range(100, 105)]
    for phone in phones:
        response = await subscribe(client, phone, singleOptIn=True)
        assert response.status_code == 202, response.text
    assert (await verify_ledger(tenant.database, tenant.key)).ok

    changed = []
    for index in (1, 2, 4):
        [record] = await records(tenant.database, tenant.company_id, phones[index])
        changed.append(record.id)
    for record_id in changed:
        await change(
            tenant.database,
            "UPDATE subscription_records SET status = 'ENDED' WHERE id = :id",
            id=record_id,
        )
    findings = (await verify_ledger(tenant.database, tenant.key)).findings
    assert sorted(finding.record_id for finding in findings) == sorted(changed)
