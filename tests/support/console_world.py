"""A company with one of every object the console addresses by id, made through the
product's own doors (console forms and the subscription API) by an operator of that
company only; and a snapshot of every row the company owns, to show nothing changed."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from optledger.storage.tables import Base
from tests.conftest import Tenant
from tests.support.console_forms import csrf_of, post_form, sign_in
from tests.support.helpers import subscribe_body
from tests.support.operator_helpers import make_operator_without_token

STYLES = ("attentive", "vibes")
# Each style's event names: any of them does for a registration.
EVENTS = {"attentive": "sms.subscribed", "vibes": "subscription_added"}
# The path parameters a world fills: every one the console's paths take.
FILLED = frozenset(
    {"unit_id", "list_id", "person_key", "record_id", "job_id", "credential_id"}
    | {"style", "webhook_id", "event_id"}
)
CSV = b"phone,email,opted_in_at\n+19148449999,,2024-01-02\nnot-a-phone,,2024-01-02\n"


@dataclass(frozen=True)
class CompanyWorld:
    """The company's objects by the names the console's paths give their ids, and the
    strings that would give them away on another company's page."""

    tenant: Tenant
    ids: dict[str, str]
    # Per style: the registration's id and the event its log holds a delivery of.
    webhooks: dict[str, tuple[str, str]]
    # The names given to its objects (and its phone), by what they name.
    names: dict[str, str]

    @property
    def marks(self) -> list[str]:
        """What no other company's operator may see."""
        return [*self.names.values(), self.ids["person_key"], self.tenant.key]

    def path_values(self, style: str) -> dict[str, str]:
        """What fills a console path's parameters, with the webhook of `style`."""
        webhook_id, event_id = self.webhooks[style]
        return {**self.ids, "style": style, "webhook_id": webhook_id, "event_id": event_id}


def _found(pattern: str, response: httpx.Response, where: str = "text") -> str:
    text = response.headers["location"] if where == "location" else response.text
    found = re.search(pattern, text)
    assert found is not None, (response.status_code, text)
    return found.group(1)


@asynccontextmanager
async def signed_in_client(
    console: httpx.AsyncClient, tenant: Tenant
) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the console's app, signed in as an operator of `tenant` only."""
    async with httpx.AsyncClient(
        transport=console._transport, base_url="http://testserver"
    ) as browser:
        name = await make_operator_without_token(tenant.database, [tenant.key])
        assert (await sign_in(browser, name)).status_code == 303
        yield browser


async def _unit(browser: httpx.AsyncClient, name: str) -> str:
    made = await post_form(
        browser,
        "/console/units/new",
        "/console/units/new",
        name=name,
        type="MARKETING",
        method="API",
        channels="TEXT",
        language="en",
        country="US",
        legal_disclosure="Msg & data rates may apply. Reply STOP to stop.",
    )
    return _found(r"created=(\d+)", made, "location")


async def _list(browser: httpx.AsyncClient, name: str) -> str:
    made = await post_form(
        browser,
        "/console/lists/new",
        "/console/lists/new",
        name=name,
        type="MARKETING",
        channel="TEXT",
        description="",
    )
    return _found(r"created=(\d+)", made, "location")


async def _person(
    browser: httpx.AsyncClient, tenant: Tenant, phone: str, unit_id: str
) -> list[str]:
    """Subscribe `phone` through the API (left PENDING); its person key and record id."""
    api = httpx.AsyncClient(
        transport=browser._transport, base_url="http://testserver", headers=tenant.api_headers
    )
    async with api:
        answer = await api.post("/v1/subscriptions", json=subscribe_body(phone, unit_id=unit_id))
    assert answer.status_code == 202, answer.text
    found = await browser.get("/console/subscribers", params={"q": phone})
    person_key = _found(r"/console/subscribers/([0-9a-f]+)$", found, "location")
    page = await browser.get(f"/console/subscribers/{person_key}")
    return [person_key, _found(r"/records/(\d+)/unsubscribe", page)]


async def _webhook(
    browser: httpx.AsyncClient, style: str, url: str, list_id: str
) -> tuple[str, str]:
    """Register one of `style`, and send it a test event: a delivery in its log."""
    fields: dict[str, Any] = {"style": style, "url": url, "events": EVENTS[style]}
    if style == "vibes":
        fields |= {"method": "POST", "list_id": list_id}
    made = await post_form(
        browser, f"/console/webhooks/new?style={style}", "/console/webhooks/new", **fields
    )
    webhook_id = _found(rf'href="/console/webhooks/{style}/(\d+)"', made)
    page = f"/console/webhooks/{style}/{webhook_id}"
    tested = await post_form(browser, page, f"{page}/test")
    return webhook_id, _found(r"tested=(\d+)", tested, "location")


async def _import_job(browser: httpx.AsyncClient, unit_id: str, file_name: str) -> str:
    csrf = csrf_of(await browser.get("/console/imports"))
    posted = await browser.post(
        "/console/imports",
        data={"csrf": csrf, "unit_id": unit_id},
        files={"file": (file_name, CSV, "text/csv")},
    )
    return _found(r"/console/imports/(\d+)$", posted, "location")


async def _credential(browser: httpx.AsyncClient, name: str) -> str:
    minted = await post_form(
        browser,
        "/console/credentials",
        "/console/credentials",
        kind="api_key",
        name=name,
        scopes="subscriptions:write",
    )
    return _found(r"<dt>ID</dt><dd><code>(\d+)</code>", minted)


async def build_world(console: httpx.AsyncClient, tenant: Tenant, phone: str) -> CompanyWorld:
    """One of everything for `tenant`, each named so that its name is the company's own."""
    tag = uuid.uuid4().hex[:8]
    names = {
        "unit": f"Unit {tag}",
        "list": f"List {tag}",
        "webhook": f"https://192.0.2.10/hooks-{tag}",
        "file": f"file-{tag}.csv",
        "credential": f"key-{tag}",
        "phone": phone,
    }
    async with signed_in_client(console, tenant) as browser:
        unit_id = await _unit(browser, names["unit"])
        list_id = await _list(browser, names["list"])
        person_key, record_id = await _person(browser, tenant, phone, unit_id)
        webhooks = {
            style: await _webhook(browser, style, f"{names['webhook']}-{style}", list_id)
            for style in STYLES
        }
        ids = {
            "unit_id": unit_id,
            "list_id": list_id,
            "person_key": person_key,
            "record_id": record_id,
            "job_id": await _import_job(browser, unit_id, names["file"]),
            "credential_id": await _credential(browser, names["credential"]),
        }
    assert set(ids) | {"style", "webhook_id", "event_id"} == FILLED
    return CompanyWorld(tenant, ids, webhooks, names)


async def company_rows(tenant: Tenant) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to the company (every table but the
    companies' and operators' own has a `company_id`), in primary key order."""

    async def query(session: Any) -> dict[str, list[tuple[Any, ...]]]:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for table in Base.metadata.sorted_tables:
            owner = table.c.get("company_id")
            if owner is None:
                owner = table.c.id if table.name == "companies" else None
            if owner is None:
                continue
            statement = select(table).where(owner == tenant.company_id)
            found = await session.execute(statement.order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in found]
        return rows

    return await tenant.database.inspect(query)
