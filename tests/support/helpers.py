"""Small helpers shared by the HTTP tests: requests, direct reads of what was stored,
and units and messages made through the core."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import new_secret_pair, store_credential
from optledger.core.companies import get_company_by_key
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.context import RequestContext
from optledger.core.message_kinds import MessageKind
from optledger.core.messages import queue_message
from optledger.core.sign_up_units import Locale, UnitSpec, create_sign_up_unit
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.sql import Connection
from optledger.storage.tables import (
    AttributeDefinition,
    Event,
    InboundMessage,
    Message,
    Person,
    PersonAttribute,
    PersonIdentifier,
    SubscriptionRecord,
)


async def key_with_scopes(tenant: Any, scopes: list[str]) -> dict[str, str]:
    """Headers of a new API key of the tenant's company holding only `scopes`."""
    issued = new_secret_pair(CredentialKind.API_KEY)
    await tenant.database.run(
        lambda connection: store_credential(
            connection,
            tenant.company_id,
            issued,
            name=f"limited-{issued.lookup_id}",
            scopes=scopes,
        )
    )
    return {"Authorization": f"Bearer {issued.token}"}


def subscribe_body(
    phone: str | None = None,
    email: str | None = None,
    *,
    unit_id: str | None = None,
    sub_type: str | None = "MARKETING",
    **extra: Any,
) -> dict[str, Any]:
    """A subscribe request; without a unit id it resolves by en/US and `sub_type`."""
    user = {key: value for key, value in (("phone", phone), ("email", email)) if value}
    body: dict[str, Any] = {"user": user, **extra}
    if unit_id is not None:
        body["signUpSourceId"] = unit_id
    else:
        body["locale"] = {"language": "en", "country": "US"}
        body["subscriptionType"] = sub_type
    return body


async def subscribe(client: httpx.AsyncClient, *args: Any, **kwargs: Any) -> httpx.Response:
    return await client.post("/v1/subscriptions", json=subscribe_body(*args, **kwargs))


async def subscribe_active(client: httpx.AsyncClient, *args: Any, **kwargs: Any) -> httpx.Response:
    """Subscribe with single opt-in, for tests that need an ACTIVE record at once."""
    return await subscribe(client, *args, singleOptIn=True, **kwargs)


def statuses(response: httpx.Response, key: str) -> dict[tuple[str, str], str]:
    """{(type, channel): status} from a subscribe or unsubscribe response."""
    return {
        (item["subscription"]["type"], item["subscription"]["channel"]): item[key]
        for item in response.json()["subscriptionResponses"]
    }


async def records(database: Database, company_id: int, contact: str) -> list[SubscriptionRecord]:
    async def query(session: Any) -> list[SubscriptionRecord]:
        return list(
            await session.scalars(
                select(SubscriptionRecord)
                .where(
                    SubscriptionRecord.company_id == company_id,
                    SubscriptionRecord.contact_value == contact,
                )
                .order_by(SubscriptionRecord.id)
            )
        )

    return await database.inspect(query)


async def count_rows(database: Database, company_id: int, table: type[Any], **filters: Any) -> int:
    async def query(session: Any) -> int:
        statement = select(func.count()).select_from(table).where(table.company_id == company_id)
        for name, value in filters.items():
            statement = statement.where(getattr(table, name) == value)
        return int(await session.scalar(statement))

    return await database.inspect(query)


async def events(database: Database, company_id: int, event_type: str) -> list[Event]:
    async def query(session: Any) -> list[Event]:
        return list(
            await session.scalars(
                select(Event)
                .where(Event.company_id == company_id, Event.type == event_type)
                .order_by(Event.id)
            )
        )

    return await database.inspect(query)


async def messages(database: Database, company_id: int, to: str | None = None) -> list[Message]:
    async def query(session: Any) -> list[Message]:
        statement = select(Message).where(Message.company_id == company_id)
        if to is not None:
            statement = statement.where(Message.to_address == to)
        return list(await session.scalars(statement.order_by(Message.id)))

    return await database.inspect(query)


async def people_count(database: Database, company_id: int) -> int:
    return await count_rows(database, company_id, Person)


async def text_in(client: httpx.AsyncClient, company_key: str, phone: str, body: str) -> str:
    """Send an inbound SMS through the JSON route; returns the action it took."""
    response = await client.post(
        f"/inbound/sms/{company_key}", json={"from": phone, "to": "+15550000000", "body": body}
    )
    assert response.status_code == 202, response.text
    action: str = response.json()["action"]
    return action


async def eligibility(client: httpx.AsyncClient, phone: str) -> dict[tuple[str, str], bool]:
    """{(type, channel): isEligible} of a phone."""
    response = await client.get("/v1/subscriptions", params={"phone": phone})
    assert response.status_code == 200, response.text
    return {
        (item["subscription"]["type"], item["subscription"]["channel"]): item["eligibility"][
            "isEligible"
        ]
        for item in response.json()["subscriptionEligibilities"]
    }


async def inbound_messages(database: Database, company_id: int) -> list[InboundMessage]:
    async def query(session: Any) -> list[InboundMessage]:
        return list(
            await session.scalars(
                select(InboundMessage)
                .where(InboundMessage.company_id == company_id)
                .order_by(InboundMessage.id)
            )
        )

    return await database.inspect(query)


async def upsert_user(
    client: httpx.AsyncClient,
    identifiers: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    subscriptions: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """POST /v2/user/attributes."""
    body: dict[str, Any] = {"identifiers": identifiers}
    if attributes is not None:
        body["attributes"] = attributes
    if subscriptions is not None:
        body["subscriptions"] = subscriptions
    return await client.post("/v2/user/attributes", json=body, **kwargs)


async def stored_identifiers(database: Database, company_id: int) -> dict[tuple[str, str], int]:
    """{(kind or custom name, value): person id} of every stored identifier."""

    async def query(session: Any) -> dict[tuple[str, str], int]:
        rows = await session.execute(
            select(
                PersonIdentifier.kind,
                PersonIdentifier.name,
                PersonIdentifier.value,
                PersonIdentifier.person_id,
            ).where(PersonIdentifier.company_id == company_id)
        )
        return {(name or kind, value): person_id for kind, name, value, person_id in rows}

    return await database.inspect(query)


async def stored_attributes(database: Database, company_id: int) -> dict[int, dict[str, Any]]:
    """{person id: {attribute name: value}} of every stored attribute value."""

    async def query(session: Any) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for row in await session.scalars(
            select(PersonAttribute).where(PersonAttribute.company_id == company_id)
        ):
            found.setdefault(row.person_id, {})[row.name] = row.value
        return found

    return await database.inspect(query)


async def attribute_types(database: Database, company_id: int) -> dict[str, str]:
    """{name: type} of the company's custom attribute definitions."""

    async def query(session: Any) -> dict[str, str]:
        rows = await session.execute(
            select(AttributeDefinition.name, AttributeDefinition.type).where(
                AttributeDefinition.company_id == company_id
            )
        )
        return {name: kind for name, kind in rows}

    return await database.inspect(query)


def run_optledger(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `optledger` command, run on `database` as an operator would."""
    env = {**os.environ, "OPTLEDGER_DATABASE_URL": database.url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "optledger", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def vibes_headers(tenant: Any) -> dict[str, str]:
    return basic(tenant.boot.basic.lookup_id, tenant.boot.basic.secret)


def persons(tenant: Any) -> str:
    return f"/companies/{tenant.key}/mobiledb/persons"


async def list_id(app_client: httpx.AsyncClient, tenant: Any, sub_type: str, channel: str) -> str:
    response = await app_client.get(
        f"/companies/{tenant.key}/mobiledb/subscription_lists", headers=vibes_headers(tenant)
    )
    assert response.status_code == 200, response.text
    wanted = f"Default {sub_type} list on {channel}"
    return next(item["id"] for item in response.json() if item["description"] == wanted)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample, 0 when the series does not exist yet."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


def requests_of(text: str, route: str, method: str, status: str) -> float:
    return sample(text, "optledger_http_requests_total", route=route, method=method, status=status)


# URLs whose IPv6 host embeds or maps to a non-global IPv4 address, or lies in a
# special-purpose range: refused as webhook and callback destinations.
IPV6_FORMS_OF_PRIVATE = [
    "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address 169.254.169.254
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[64:ff9b:1::a00:1]/",  # local-use NAT64
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[2002:a9fe:a9fe::1]/",  # 6to4 of the metadata address
    "https://[2002:808:808::1]/",  # 6to4, deprecated, even of a public address
    "https://[::7f00:1]/",  # IPv4-compatible 127.0.0.1
    "https://[::a9fe:a9fe]/",  # IPv4-compatible metadata address
    "https://[::ffff:a9fe:a9fe]/",  # IPv4-mapped metadata address
    "https://[::ffff:0:a00:1]/",  # IPv4-translated (SIIT) 10.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "https://[2001:2::1]/",  # benchmarking
    "https://[2001:db8::1]/",  # documentation
    "https://[3fff::1]/",  # documentation
    "https://[100::1]/",  # discard-only
    "https://[fec0::1]/",  # site-local
    "https://[ff02::1]/",  # multicast
    "https://[::]/",
]


def settings_reaching_documentation_network(secret_key: str) -> Settings:
    """Settings that let webhook URLs on 192.0.2.0/24 in: they need no DNS."""
    return Settings(
        secret_key=secret_key,
        run_worker_in_process=False,
        webhook_allowed_networks="192.0.2.0/24",  # type: ignore[arg-type]
    )


async def make_unit(tenant: Any, **changes: object) -> str:
    """A marketing sign-up unit for text and email, with `changes` to its spec; its id."""
    spec = UnitSpec(
        name=f"unit {changes}",
        subscription_type=SubscriptionType.MARKETING,
        channels=[Channel.TEXT, Channel.EMAIL],
        locale=Locale("en", "US"),
        legal_disclosure="Msg & data rates may apply.",
    )
    for name, value in changes.items():
        setattr(spec, name, value)
    unit = await tenant.database.run(
        lambda connection: create_sign_up_unit(connection, tenant.company_id, spec)
    )
    return str(unit.id)


async def queue_one(tenant: Any, to: str) -> Message:
    """A HELP text to `to`, queued in the outbox through the core; the message as stored."""

    async def apply(connection: Connection) -> int:
        company = await get_company_by_key(connection, tenant.key)
        return await queue_message(
            connection,
            company,
            RequestContext(source="test"),
            channel=Channel.TEXT,
            to=to,
            kind=MessageKind.HELP,
            locale="en-US",
        )

    message_id = await tenant.database.run(apply)
    queued: Message = await tenant.database.inspect(
        lambda session: session.get_one(Message, message_id)
    )
    return queued
