"""Companies (tenants) and their default subscription lists."""

from __future__ import annotations

import re

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Conflict, InvalidInput, NotFound
from optledger.core.text import checked_name
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import (
    CompanyRow,
    bump_version,
    companies_page,
    company_by_id,
    company_by_key,
    insert_company,
)
from optledger.storage.repositories.units import insert_lists, lists_of_company
from optledger.storage.sql import Connection

# A company is shown by its name in the console and its messages.
MAX_NAME_LENGTH = 200
# Companies read at once when every one of them is listed.
COMPANIES_PAGE = 1000

_COMPANY_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


def validate_company_key(key: str) -> str:
    """A company key must be url-safe: it appears in Vibes routes."""
    if not _COMPANY_KEY.match(key):
        raise InvalidInput(f"company key {key!r} must be 2-63 characters of a-z, 0-9, '-' or '_'")
    return key


async def get_company_by_key(connection: Connection, key: str) -> CompanyRow:
    """The company with `key`, or `NotFound`."""
    company = await company_by_key(connection, key)
    if company is None:
        raise NotFound(f"company {key!r} does not exist")
    return company


async def get_company(connection: Connection, company_id: int) -> CompanyRow:
    """The company with `company_id` as stored now (not a cached catalog's), or `NotFound`."""
    company = await company_by_id(connection, company_id)
    if company is None:
        raise NotFound(f"company {company_id} does not exist")
    return company


async def every_company(connection: Connection) -> list[CompanyRow]:
    """Every company of the installation, by key, read a page at a time."""
    found: list[CompanyRow] = []
    while page := await companies_page(
        connection, after=found[-1].key if found else "", limit=COMPANIES_PAGE
    ):
        found += page
    return found


async def ensure_company(connection: Connection, key: str, name: str | None = None) -> CompanyRow:
    """The company with `key`, created with its default lists if it is new."""
    validate_company_key(key)
    await insert_company(connection, key, name or key, utcnow())
    company = await get_company_by_key(connection, key)
    await ensure_default_lists(connection, company.id)
    return company


async def create_company(connection: Connection, key: str, name: str | None = None) -> CompanyRow:
    """A new company with its default lists; `Conflict` if the key is taken."""
    validate_company_key(key)
    if await company_by_key(connection, key) is not None:
        raise Conflict(f"company {key!r} exists")
    named = None if name is None else checked_name(name, "a company", MAX_NAME_LENGTH)
    return await ensure_company(connection, key, named)


async def ensure_default_lists(connection: Connection, company_id: int) -> None:
    """One default list per (type, channel), created where missing."""
    existing = {
        (row.type, row.channel)
        for row in await lists_of_company(connection, company_id)
        if row.is_default
    }
    missing = [
        (
            f"{sub_type.value.title().replace('_', ' ')} {channel.value.lower()}",
            f"Default {sub_type.value} list on {channel.value}",
            sub_type.value,
            channel.value,
        )
        for sub_type in SubscriptionType
        for channel in Channel
        if (sub_type, channel) not in existing
    ]
    if missing:
        await insert_lists(connection, company_id, missing, utcnow())
        await bump_version(connection, company_id)
