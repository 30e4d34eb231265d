"""Simultaneous attribute upserts: limits and uniqueness hold by constraint, not luck."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.tables import AttributeDefinition, Person, PersonAttribute
from tests.conftest import Tenant, two_servers
from tests.support.helpers import count_rows, stored_identifiers, upsert_user

PHONE = "+19148440001"


async def test_racing_for_the_last_attribute_slots_never_passes_100(
    tenant: Tenant, database: Database, settings: Settings
) -> None:
    async with two_servers(tenant, database, settings) as clients:
        ninety_eight = {f"attr {i}": i for i in range(98)}
        assert (await upsert_user(clients[0], {"phone": PHONE}, ninety_eight)).status_code == 202
        responses = await asyncio.gather(
            *(upsert_user(clients[i % 2], {"phone": PHONE}, {f"racer {i}": i}) for i in range(10))
        )
    assert Counter(r.status_code for r in responses) == {202: 2, 400: 8}
    assert await count_rows(database, tenant.company_id, AttributeDefinition) == 100
    assert await count_rows(database, tenant.company_id, PersonAttribute) == 100


async def test_simultaneous_upserts_of_one_user_make_one_person(
    tenant: Tenant, database: Database, settings: Settings
) -> None:
    identifiers: dict[str, Any] = {"phone": PHONE, "clientUserId": "cu-1"}
    async with two_servers(tenant, database, settings) as clients:
        responses = await asyncio.gather(
            *(
                upsert_user(clients[i % 2], identifiers, {"firstName": "Ann", "visits": i})
                for i in range(20)
            )
        )
    assert [r.status_code for r in responses] == [202] * 20
    assert await count_rows(database, tenant.company_id, Person) == 1
    assert len(await stored_identifiers(database, tenant.company_id)) == 2
    assert await count_rows(database, tenant.company_id, AttributeDefinition) == 1
    assert await count_rows(database, tenant.company_id, PersonAttribute) == 2
