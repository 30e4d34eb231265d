"""Subscription lists as operators manage them: create, rename, archive.

Each company keeps one default list per (type, channel), which Attentive requests
address and every new record of that pair joins: those are never archived. Other
lists are the company's own (Vibes clients and callbacks name them). Records point
at lists, so a list is archived, never deleted.
"""

from __future__ import annotations

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Conflict, InvalidInput
from optledger.core.subscriptions.of_person import subscription_list
from optledger.core.text import checked_name
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import bump_version
from optledger.storage.repositories.console import list_sizes
from optledger.storage.repositories.units import (
    ListRow,
    insert_list,
    set_list_status,
    update_list,
)
from optledger.storage.sql import Connection

ACTIVE = "active"
ARCHIVED = "archived"
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000


def _name_and_description(name: str, description: str) -> tuple[str, str]:
    name = checked_name(name, "a list", MAX_NAME_LENGTH)
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(f"a list's description has at most {MAX_DESCRIPTION_LENGTH} characters")
    return name, description.strip()


async def create_list(
    connection: Connection,
    company_id: int,
    *,
    name: str,
    sub_type: SubscriptionType,
    channel: Channel,
    description: str = "",
) -> ListRow:
    """A new active list of the company (never a default one)."""
    name, description = _name_and_description(name, description)
    list_id = await insert_list(
        connection,
        company_id,
        name=name,
        description=description,
        sub_type=sub_type.value,
        channel=channel.value,
        now=utcnow(),
    )
    await bump_version(connection, company_id)
    return await subscription_list(connection, company_id, list_id)


async def change_list(
    connection: Connection,
    company_id: int,
    list_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
) -> ListRow:
    """Rename a list or change its description (its type and channel are what it is)."""
    current = await subscription_list(connection, company_id, list_id)
    if current.status != ACTIVE:
        raise Conflict(f"subscription list {list_id} is archived")
    name, description = _name_and_description(
        current.name if name is None else name,
        current.description if description is None else description,
    )
    await update_list(connection, company_id, list_id, name, description)
    await bump_version(connection, company_id)
    return await subscription_list(connection, company_id, list_id)


async def archive_list(connection: Connection, company_id: int, list_id: int) -> ListRow:
    """Archive a list the company made; its records stay as they are."""
    current = await subscription_list(connection, company_id, list_id)
    if current.is_default:
        raise Conflict(
            f"subscription list {list_id} is the default {current.type} {current.channel} list, "
            "which new subscriptions join: it cannot be archived"
        )
    if current.status != ARCHIVED:
        await set_list_status(connection, company_id, list_id, ARCHIVED)
        await bump_version(connection, company_id)
    return await subscription_list(connection, company_id, list_id)


async def lists_with_sizes(connection: Connection, company_id: int) -> list[tuple[ListRow, int]]:
    """Every list of the company with its number of ACTIVE subscribers."""
    catalog = await load_catalog(connection, company_id)
    sizes = await list_sizes(connection, company_id)
    return [(found, sizes.get(found.id, 0)) for found in catalog.lists]
