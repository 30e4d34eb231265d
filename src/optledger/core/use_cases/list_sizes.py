"""Subscription lists with how many are on them, as the console's lists page shows them."""

from __future__ import annotations

from optledger.core.subscription_lists import lists_with_sizes
from optledger.storage.database import Database
from optledger.storage.repositories.units import ListRow


async def lists_and_sizes(database: Database, company_id: int) -> list[tuple[ListRow, int]]:
    """Every list of the company with its number of ACTIVE subscribers."""
    return await database.read(
        lambda connection: lists_with_sizes(connection, company_id), standby=True
    )
