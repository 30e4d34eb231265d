"""Subscription lists: listed, made, renamed and archived, the same from every door."""

from __future__ import annotations

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.subscription_lists import (
    archive_list,
    change_list,
    create_list,
    lists_with_sizes,
)
from optledger.core.subscriptions.of_person import subscription_list
from optledger.storage.database import Database
from optledger.storage.repositories.units import ListRow as ListRow


async def list_lists(database: Database, company_id: int) -> list[ListRow]:
    """The company's lists, the (type, channel) defaults and archived ones included."""
    catalog = await database.read(
        lambda connection: load_catalog(connection, company_id), standby=True
    )
    return list(catalog.lists)


async def get_list(database: Database, company_id: int, list_id: int) -> ListRow:
    """One list of the company, or `NotFound`."""
    return await database.read(
        lambda connection: subscription_list(connection, company_id, list_id), standby=True
    )


async def add_list(
    database: Database,
    company_id: int,
    *,
    name: str,
    sub_type: SubscriptionType,
    channel: Channel,
    description: str = "",
) -> ListRow:
    """A new active list of the company (never a (type, channel) default)."""
    return await database.run(
        lambda connection: create_list(
            connection,
            company_id,
            name=name,
            sub_type=sub_type,
            channel=channel,
            description=description,
        )
    )


async def update_list(
    database: Database,
    company_id: int,
    list_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
) -> ListRow:
    """Rename a list or change its description; only what is given changes."""
    return await database.run(
        lambda connection: change_list(
            connection, company_id, list_id, name=name, description=description
        )
    )


async def archive(database: Database, company_id: int, list_id: int) -> ListRow:
    """Archive a list the company made (a default list is `Conflict`); its records stay."""
    return await database.run(lambda connection: archive_list(connection, company_id, list_id))


async def lists_and_sizes(database: Database, company_id: int) -> list[tuple[ListRow, int]]:
    """Every list of the company with its number of ACTIVE subscribers."""
    return await database.read(
        lambda connection: lists_with_sizes(connection, company_id), standby=True
    )
