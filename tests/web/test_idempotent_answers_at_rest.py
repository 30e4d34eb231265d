"""Answers kept for idempotency keys hold no secret and no contact point readable at
rest: the table is read directly after each request, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.settings import Settings
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.tables import IdempotentAnswer
from tests.conftest import TEST_SECRET, Tenant, empty_database_url
from tests.support.helpers import settings_reaching_documentation_network, vibes_headers
from tests.support.operator_helpers import make_operator

ADDRESS = "kept.secret@example.com"


@pytest.fixture
def settings() -> Settings:
    return settings_reaching_documentation_network(TEST_SECRET)


@dataclass(frozen=True)
class Creation:
    """A keyed write whose answer carries secrets, and where to find them in it."""

    path: str
    body: dict[str, object]
    secret_fields: tuple[str, ...]


async def stored_bodies(database: Database) -> list[bytes]:
    """Every answer kept in the table, as stored."""

    async def query(session: AsyncSession) -> list[bytes]:
        rows = await session.scalars(select(IdempotentAnswer.body))
        return [bytes(body) for body in rows if body is not None]

    return await database.inspect(query)


def secrets_in(answer: dict[str, object], fields: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for field in fields:
        value: object = answer
        for part in field.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]  # type: ignore[index]
        assert isinstance(value, str), field
        assert len(value) >= 16, field
        found.append(value)
    return found


async def headers_for(kind: str, tenant: Tenant) -> dict[str, str]:
    if kind == "api_key":
        return tenant.api_headers
    if kind == "basic":
        return vibes_headers(tenant)
    return (await make_operator(tenant.database)).headers


CREATIONS: dict[str, tuple[str, Callable[[Tenant], Creation]]] = {
    "webhook": (
        "api_key",
        lambda tenant: Creation(
            "/v1/webhooks",
            {"url": "https://192.0.2.10/hooks", "events": ["sms.subscribed"]},
            ("signingKey", "webhookSecret"),
        ),
    ),
    "vibes callback": (
        "basic",
        lambda tenant: Creation(
            f"/companies/{tenant.key}/config/callbacks/",
            {"callback_type": "subscription_added", "destination": {"url": "https://192.0.2.10/v"}},
            ("secret", "webhook_secret"),
        ),
    ),
    "credential": (
        "operator",
        lambda tenant: Creation(
            f"/manage/v1/companies/{tenant.key}/credentials",
            {"kind": "api_key", "name": "crm"},
            ("token",),
        ),
    ),
    "basic login": (
        "operator",
        lambda tenant: Creation(
            f"/manage/v1/companies/{tenant.key}/credentials",
            {"kind": "basic", "name": "vibes"},
            ("password",),
        ),
    ),
    "unsubscribe links": (
        "operator",
        lambda tenant: Creation(
            f"/manage/v1/companies/{tenant.key}/unsubscribe-links",
            {"addresses": [ADDRESS]},
            ("links.0.url", "links.0.address"),
        ),
    ),
}


@pytest.mark.parametrize("name", CREATIONS)
async def test_a_kept_answer_is_sealed_and_replays_whole(
    app_client: httpx.AsyncClient, tenant: Tenant, name: str
) -> None:
    kind, make = CREATIONS[name]
    creation = make(tenant)
    headers = {**await headers_for(kind, tenant), "Idempotency-Key": str(uuid.uuid4())}
    first = await app_client.post(creation.path, json=creation.body, headers=headers)
    assert first.status_code in (200, 201), first.text
    shown = secrets_in(first.json(), creation.secret_fields)

    stored = await stored_bodies(tenant.database)
    assert stored, "the answer was kept"
    for body in stored:
        assert first.content not in body
        for secret in shown:
            assert secret.encode() not in body
    # The retry that a lost answer calls for gets the secret it never saw.
    again = await app_client.post(creation.path, json=creation.body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.status_code, again.content) == (first.status_code, first.content)


async def test_an_answer_that_cannot_be_opened_is_not_replayed(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = f"unreadable-{uuid.uuid4()}"
    headers = {**tenant.api_headers, "Idempotency-Key": key}
    body = {"url": "https://192.0.2.10/hooks", "events": ["sms.subscribed"]}
    first = await app_client.post("/v1/webhooks", json=body, headers=headers)
    assert first.status_code == 201

    # As an older release kept it, or sealed under a server secret since replaced.
    async def store_in_plain(session: AsyncSession) -> None:
        await session.execute(
            update(IdempotentAnswer).where(IdempotentAnswer.key == key).values(body=first.content)
        )

    await tenant.database.inspect(store_in_plain)
    again = await app_client.post("/v1/webhooks", json=body, headers=headers)
    # Forgotten like an expired answer: the request ran anew, its secret is new.
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert again.json()["signingKey"] != first.json()["signingKey"]


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
async def test_upgrading_forgets_answers_kept_in_plain(
    engine: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = await empty_database_url(engine, tmp_path_factory.mktemp("upgrade"))
    await upgrade_database(url, "0010")
    database = Database(url)
    try:
        plain = b'{"signingKey": "kept-before-the-upgrade"}'

        async def keep(session: AsyncSession) -> None:
            session.add(
                IdempotentAnswer(
                    caller="c" * 64,
                    key=str(uuid.uuid4()),
                    request_hash="r" * 64,
                    status=201,
                    content_type="application/json",
                    body=plain,
                    created_at=utcnow(),
                )
            )

        await database.inspect(keep)
        await upgrade_database(url)
        assert await stored_bodies(database) == []
    finally:
        await database.dispose()
