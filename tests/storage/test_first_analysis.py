"""A fresh PostgreSQL database gets statistics for the tables it fills at once, not a
minute later when autovacuum first looks (plans cached while tables were empty scan)."""

from __future__ import annotations

import asyncio

import pytest

from optledger.storage.database import Database
from optledger.storage.first_analysis import analyse_filled_tables
from optledger.storage.migrate import upgrade_database
from optledger.storage.provision import create_postgres_database
from optledger.storage.sql import Connection, Query
from tests.conftest import make_tenant, postgres_admin_url, tenant_client
from tests.support.helpers import subscribe_active

pytestmark = [pytest.mark.postgres]

ANALYSED = Query(
    """SELECT relname FROM pg_stat_user_tables
    WHERE coalesce(last_analyze, last_autoanalyze) IS NOT NULL ORDER BY relname"""
)


async def test_tables_that_filled_are_analysed_once() -> None:
    url = await create_postgres_database(postgres_admin_url(), prefix="optledger_fresh")
    await upgrade_database(url)
    database = Database(url)
    try:
        tenant = await make_tenant(database)
        async with tenant_client(database, tenant) as client:
            for n in range(6):
                assert (await subscribe_active(client, f"+1914845{3000 + n}")).status_code == 202

        async def analyse(connection: Connection) -> list[str]:
            return await analyse_filled_tables(connection, rows=5)

        # Table statistics reach the server's counters within a second or so.
        analysed: list[str] = []
        for _ in range(50):
            analysed = await database.read(analyse)
            if "subscription_records" in analysed:
                break
            await asyncio.sleep(0.1)
        assert "subscription_records" in analysed
        stored = [row[0] for row in await database.read(lambda c: c.fetch(ANALYSED))]
        assert set(analysed) <= set(stored)
        # Analysed once: the next look finds nothing new to do.
        assert "subscription_records" not in await database.read(analyse)
    finally:
        await database.dispose()
