"""Simultaneous subscribes for one phone: one person, one open record, by constraint."""

from __future__ import annotations

import asyncio
from collections import Counter

from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import Person, PersonIdentifier, SubscriptionRecord
from tests.conftest import Tenant, two_servers
from tests.support.helpers import count_rows, subscribe_body

PHONE = "+19148440001"
REQUESTS = 40


async def test_simultaneous_subscribes_create_one_person_and_record(
    tenant: Tenant, database: Database, settings: Settings
) -> None:
    body = subscribe_body(PHONE, "racer@example.com")
    async with two_servers(tenant, database, settings) as clients:
        responses = await asyncio.gather(
            *(clients[i % 2].post("/v1/subscriptions", json=body) for i in range(REQUESTS))
        )

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
