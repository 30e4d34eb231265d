"""What an operator does on a subscriber's page: unsubscribe a record with a reason,
send a PENDING record's confirmation again, and find people by custom identifiers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from optledger.core.audit import Actor
from optledger.core.errors import Conflict
from optledger.core.use_cases.audit import AuditFilter, list_audit
from optledger.core.use_cases.subscriptions import resend_confirmation
from optledger.storage.tables import Message, Person, PersonIdentifier, SubscriptionRecord
from tests.conftest import Tenant, make_tenant, tenant_client
from tests.support.console_forms import csrf_of, post_form
from tests.support.helpers import (
    eligibility,
    events,
    messages,
    records,
    subscribe,
    subscribe_active,
    upsert_user,
)

PHONE = "+19148440701"
REASON = "Called the help line and asked to stop"


async def _subscribed(
    tenant: Tenant, app_client: httpx.AsyncClient, *, active: bool = True
) -> tuple[str, SubscriptionRecord]:
    """A TEXT subscriber of the tenant: their person key and their record."""
    app_client.headers.update(tenant.api_headers)
    answer = await (subscribe_active if active else subscribe)(app_client, PHONE)
    assert answer.status_code == 202, answer.text
    (record,) = await records(tenant.database, tenant.company_id, PHONE)
    person_key = await _person_key_of(tenant, record.person_id)
    return person_key, record


async def _person_key_of(tenant: Tenant, person_id: int) -> str:
    person = await tenant.database.inspect(lambda session: session.get(Person, person_id))
    assert person is not None
    return str(person.person_key)


def _record_page(person_key: str, record_id: int, action: str) -> str:
    return f"/console/subscribers/{person_key}/records/{record_id}/{action}"


async def _audit_of(tenant: Tenant, record_id: int) -> list[tuple[str, str]]:
    found = await list_audit(
        tenant.database,
        AuditFilter(company_id=tenant.company_id, object_type="record", object_id=str(record_id)),
    )
    return [(entry.action, entry.actor) for entry in found]


async def test_unsubscribing_with_a_reason_ends_the_record_and_says_who_and_why(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client)
    page = await console.get(f"/console/subscribers/{person_key}")
    form = _record_page(person_key, record.id, "unsubscribe")
    assert f'href="{form}"' in page.text
    done = await post_form(console, form, form, reason=f"  {REASON} ", notify="on")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/console/subscribers/{person_key}?unsubscribed={record.id}"

    (ended,) = await records(tenant.database, tenant.company_id, PHONE)
    assert (ended.status, ended.opt_out_reason) == ("ENDED", "platform_opt_out")
    assert not any((await eligibility(app_client, PHONE)).values())
    (event,) = await events(tenant.database, tenant.company_id, "subscription_ended")
    assert event.record_id == record.id
    assert event.data["source"] == "console"
    assert (event.data["operator"], event.data["note"]) == (operator, REASON)
    assert event.data["reason"] == "platform_opt_out"
    assert messages_kinds(await messages(tenant.database, tenant.company_id, PHONE))[-1] == (
        "OPT_OUT_CONFIRMATION"
    )

    shown = await console.get(done.headers["location"])
    assert f"Record #{record.id} ended" in shown.text
    timeline = shown.text.split("Consent timeline")[1]
    for said in ("subscription_ended", REASON, operator, "platform_opt_out"):
        assert said in timeline
    assert f'href="{form}"' not in shown.text  # an ended record offers nothing more
    assert await _audit_of(tenant, record.id) == [("record.unsubscribed", operator)]


def messages_kinds(found: list[Message]) -> list[str]:
    return [message.kind for message in found]


async def test_a_missing_or_overlong_reason_is_refused_with_the_form_again(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client)
    form = _record_page(person_key, record.id, "unsubscribe")
    missing = await post_form(console, form, form, reason="   ", notify="on")
    assert missing.status_code == 400
    assert "say why" in missing.text
    assert 'id="reason"' in missing.text
    assert "checked" in missing.text
    overlong = await post_form(console, form, form, reason="why " * 200)
    assert overlong.status_code == 400
    assert ("why " * 200).strip() in overlong.text
    assert "checked" not in overlong.text  # the box was left unticked
    (still,) = await records(tenant.database, tenant.company_id, PHONE)
    assert still.status == "ACTIVE"
    assert await _audit_of(tenant, record.id) == []


async def test_the_actions_need_the_sessions_token(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client, active=False)
    for action, data in (("unsubscribe", {"reason": REASON}), ("resend", {})):
        for token in ({}, {"csrf": "forged"}):
            refused = await console.post(
                _record_page(person_key, record.id, action),
                content=urlencode({**data, **token}),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert refused.status_code == 403
    (still,) = await records(tenant.database, tenant.company_id, PHONE)
    assert still.status == "PENDING"
    prompts = await messages(tenant.database, tenant.company_id, PHONE)
    assert messages_kinds(prompts) == ["CONFIRMATION_PROMPT"]


async def test_another_companys_subscriber_is_not_found(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    own_key, _ = await _subscribed(tenant, app_client)
    other = await make_tenant(tenant.database, name="Elsewhere")
    async with tenant_client(tenant.database, other) as theirs:
        assert (await subscribe(theirs, PHONE)).status_code == 202
    (their_record,) = await records(tenant.database, other.company_id, PHONE)
    their_key = await _person_key_of(other, their_record.person_id)
    token = csrf_of(await console.get(f"/console/subscribers/{own_key}"))
    for person_key in (their_key, own_key):
        for action, data in (("unsubscribe", {"reason": REASON}), ("resend", {})):
            page = _record_page(person_key, their_record.id, action)
            assert (await console.get(page)).status_code == 404
            posted = await console.post(page, data={"csrf": token, **data})
            assert posted.status_code == 404
    (untouched,) = await records(tenant.database, other.company_id, PHONE)
    assert untouched.status == "PENDING"
    assert len(await messages(tenant.database, other.company_id, PHONE)) == 1


async def test_resending_a_confirmation_queues_the_prompt_once_a_minute(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client, active=False)
    page = await console.get(f"/console/subscribers/{person_key}")
    form = _record_page(person_key, record.id, "resend")
    assert f'href="{form}"' in page.text
    done = await post_form(console, form, form)
    assert done.status_code == 303, done.text
    sent = await messages(tenant.database, tenant.company_id, PHONE)
    assert messages_kinds(sent) == ["CONFIRMATION_PROMPT", "CONFIRMATION_PROMPT"]
    assert sent[0].body == sent[1].body
    (resent,) = await events(tenant.database, tenant.company_id, "confirmation_resent")
    assert (resent.record_id, resent.data["operator"]) == (record.id, operator)
    shown = await console.get(done.headers["location"])
    assert "prompt is queued again" in shown.text
    assert "confirmation_resent" in shown.text

    again = await post_form(console, form, form)
    assert again.status_code == 429
    assert "wait a minute" in again.text
    assert len(await messages(tenant.database, tenant.company_id, PHONE)) == 2
    (still,) = await records(tenant.database, tenant.company_id, PHONE)
    assert still.status == "PENDING"
    assert await _audit_of(tenant, record.id) == [("record.confirmation_resent", operator)]


async def test_resending_is_refused_for_an_active_record(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client)
    form = _record_page(person_key, record.id, "resend")
    refused = await post_form(console, form, form)
    assert refused.status_code == 409
    assert "only a PENDING record awaits confirmation" in refused.text
    assert "CONFIRMATION_PROMPT" not in messages_kinds(
        await messages(tenant.database, tenant.company_id, PHONE)
    )
    assert await _audit_of(tenant, record.id) == []


async def test_resending_is_refused_once_the_window_has_passed(
    tenant: Tenant, app_client: httpx.AsyncClient
) -> None:
    person_key, record = await _subscribed(tenant, app_client, active=False)
    with pytest.raises(Conflict, match="confirmation window"):
        await resend_confirmation(
            tenant.database,
            tenant.boot.company,
            person_key,
            record.id,
            timedelta(0),
            actor=Actor("someone"),
        )
    assert len(await messages(tenant.database, tenant.company_id, PHONE)) == 1


async def test_a_custom_identifier_finds_its_person_and_no_other_companys(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    loyalty = {"customIdentifiers": [{"name": "loyaltyId", "value": "L-4242"}]}
    app_client.headers.update(tenant.api_headers)
    answer = await upsert_user(app_client, {"phone": PHONE, **loyalty})
    assert answer.status_code == 202, answer.text
    other = await make_tenant(tenant.database)
    async with tenant_client(tenant.database, other) as theirs:
        elsewhere = await upsert_user(theirs, {"phone": "+19148440702", **loyalty})
        assert elsewhere.status_code == 202, elsewhere.text
    ids = await _identifiers(tenant, "L-4242", tenant.company_id, other.company_id)
    assert len(ids) == 2  # one person in each company

    found = await console.get("/console/subscribers", params={"q": " L-4242 "})
    assert found.status_code == 303
    own_id = next(pid for company, pid in ids if company == tenant.company_id)
    assert (
        found.headers["location"] == f"/console/subscribers/{await _person_key_of(tenant, own_id)}"
    )
    person = await console.get(found.headers["location"])
    assert "loyaltyId" in person.text
    assert PHONE in person.text
    nobody = await console.get("/console/subscribers", params={"q": "L-424"})
    assert "Nobody matches" in nobody.text


async def _identifiers(tenant: Tenant, value: str, *companies: int) -> list[tuple[int, int]]:
    """(company, person) of each custom identifier equal to `value` in `companies`."""

    async def query(session: Any) -> list[tuple[int, int]]:
        rows = await session.execute(
            select(PersonIdentifier.company_id, PersonIdentifier.person_id).where(
                PersonIdentifier.company_id.in_(companies),
                PersonIdentifier.kind == "custom",
                PersonIdentifier.value == value,
            )
        )
        return [(row[0], row[1]) for row in rows]

    return await tenant.database.inspect(query)
