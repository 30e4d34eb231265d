"""Subscription lists: listed, made, renamed and archived, the same from every door."""

from __future__ import annotations

from optledger.core.audit import Actor, changed_fields, record_change
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
from optledger.storage.sql import Connection


def _audited(found: ListRow) -> dict[str, str]:
    """A list's fields as the audit trail compares them."""
    return {
        "name": found.name,
        "description": found.description,
        "type": found.type,
        "channel": found.channel,
        "status": found.status,
    }


async def _recorded(
    connection: Connection,
    actor: Actor | None,
    action: str,
    before: ListRow | None,
    after: ListRow,
) -> ListRow:
    """`after`, once what changed from `before` (None: nothing before) is recorded."""
    changes = changed_fields({} if before is None else _audited(before), _audited(after))
    await record_change(connection, actor, after.company_id, action, "list", after.id, changes)
    return after


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
    actor: Actor | None,
) -> ListRow:
    """A new active list of the company (never a (type, channel) default)."""

    async def add(connection: Connection) -> ListRow:
        added = await create_list(
            connection,
            company_id,
            name=name,
            sub_type=sub_type,
            channel=channel,
            description=description,
        )
        return await _recorded(connection, actor, "list.created", None, added)

    return await database.run(add)


async def update_list(
    database: Database,
    company_id: int,
    list_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    actor: Actor | None,
) -> ListRow:
    """Rename a list or change its description; only what is given changes."""

    async def update(connection: Connection) -> ListRow:
        before = await subscription_list(connection, company_id, list_id)
        after = await change_list(
            connection, company_id, list_id, name=name, description=description
        )
        return await _recorded(connection, actor, "list.updated", before, after)

    return await database.run(update)


async def archive(
    database: Database, company_id: int, list_id: int, *, actor: Actor | None
) -> ListRow:
    """Archive a list the company made (a default list is `Conflict`); its records stay."""

    async def archive_one(connection: Connection) -> ListRow:
        before = await subscription_list(connection, company_id, list_id)
        after = await archive_list(connection, company_id, list_id)
        return await _recorded(connection, actor, "list.archived", before, after)

    return await database.run(archive_one)


async def lists_and_sizes(database: Database, company_id: int) -> list[tuple[ListRow, int]]:
    """Every list of the company with its number of ACTIVE subscribers."""
    return await database.read(
        lambda connection: lists_with_sizes(connection, company_id), standby=True
    )
