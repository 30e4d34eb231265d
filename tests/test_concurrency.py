"""Simultaneous subscribes for one phone: one person, one open record, by constraint."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from asgi_lifespan import LifespanManager

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import Person, PersonIdentifier, SubscriptionRecord
from tests.conftest import Tenant
from tests.helpers import count_rows, subscribe_body

PHONE = "+19148440001"
REQUESTS = 40


async def test_simultaneous_subscribes_create_one_person_and_record(
    tenant: Tenant, database: Database, settings: Settings
) -> None:
    # Two apps on two database handles stand for two server processes.
    second = Database(database.url)
    apps = [create_app(settings, database=database), create_app(settings, database=second)]
    try:
        async with LifespanManager(apps[0]) as one, LifespanManager(apps[1]) as two:
            clients = [
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app),
                    base_url="http://testserver",
                    headers=tenant.api_headers,
                )
                for manager in (one, two)
            ]
            body = subscribe_body(PHONE, "racer@example.com")
            responses = await asyncio.gather(
                *(clients[i % 2].post("/v1/subscriptions", json=body) for i in range(REQUESTS))
            )
            for client in clients:
                await client.aclose()
    finally:
        await second.dispose()

    assert [r.status_code for r in responses] == [202] * REQUESTS
    outcomes = Counter(
        (item["subscription"]["channel"], item["subscriptionCreationStatus"])
        for r in responses
        for item in r.json()["subscriptionResponses"]
    )
    assert outcomes == {
        ("TEXT", "NEWLY_CREATED"): 1,
        ("TEXT", "PREVIOUSLY_CREATED"): REQUESTS - 1,
        ("EMAIL", "NEWLY_CREATED"): 1,
        ("EMAIL", "PREVIOUSLY_CREATED"): REQUESTS - 1,
    }
    assert await count_rows(database, tenant.company_id, Person) == 1
    assert await count_rows(database, tenant.company_id, PersonIdentifier) == 2
    assert await count_rows(database, tenant.company_id, SubscriptionRecord) == 2
