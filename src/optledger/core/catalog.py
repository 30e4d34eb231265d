"""What a process keeps about each company: its settings, lists and sign-up units.

These rows change rarely and are read by every write, so each process caches them
and reloads a company's catalog when its version moved (every change to units,
lists, settings or the suppression key bumps it, in the same transaction).

`load_catalog` checks the version first (one indexed read). The subscribe path
saves that round trip: it takes `cached_catalog` unchecked and writes its record
only where the stored version still equals the catalog's; a mismatch writes
nothing and raises `StaleCatalog`, which replays the unit of work on a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.consent import Channel, SubscriptionType
from optledger.storage.database import LostRace
from optledger.storage.repositories.companies import CompanyRow, company_by_id, company_version
from optledger.storage.repositories.privacy_keys import privacy_key
from optledger.storage.repositories.units import (
    ListRow,
    UnitRow,
    lists_of_company,
    units_of_company,
)
from optledger.storage.sql import Connection

MAX_CACHED_COMPANIES = 10_000


@dataclass(frozen=True)
class Catalog:
    """One version of a company's rarely changing rows."""

    company: CompanyRow
    lists: tuple[ListRow, ...]
    units: tuple[UnitRow, ...]
    # None until the company's first erasure: no suppression to check before that.
    privacy_key: str | None

    def unit(self, unit_id: int) -> UnitRow | None:
        """The unit with `unit_id`, if it is this company's."""
        return next((unit for unit in self.units if unit.id == unit_id), None)

    def default_list(self, sub_type: SubscriptionType, channel: Channel) -> ListRow | None:
        """The list an Attentive (type, channel) pair addresses."""
        return next(
            (
                found
                for found in self.lists
                if found.is_default and found.type == sub_type and found.channel == channel
            ),
            None,
        )


_cache: dict[tuple[str, int], Catalog] = {}


class StaleCatalog(LostRace):
    """The company's catalog changed under a unit of work that used a cached copy."""


async def cached_catalog(connection: Connection, company_id: int) -> Catalog:
    """The company's catalog as this process last saw it, unchecked (no round trip).

    Only for units of work whose writes check `catalog.company.version` themselves.
    """
    cached = _cache.get((connection.scope, company_id))
    return cached if cached is not None else await load_catalog(connection, company_id)


async def catalog_is_current(connection: Connection, catalog: Catalog) -> bool:
    """Whether `catalog` is still the company's; a stale one is forgotten."""
    if await company_version(connection, catalog.company.id) == catalog.company.version:
        return True
    forget_catalog(connection, catalog.company.id)
    return False


def forget_catalog(connection: Connection, company_id: int) -> None:
    """Drop the cached catalog: the next `cached_catalog` reads it again."""
    _cache.pop((connection.scope, company_id), None)


async def load_catalog(connection: Connection, company_id: int) -> Catalog:
    """The company's catalog, from this process's cache while its version holds.

    Costs one indexed read of the version; the rows are read again only after a
    change.
    """
    version = await company_version(connection, company_id)
    key = (connection.scope, company_id)
    cached = _cache.get(key)
    if cached is not None and cached.company.version == version:
        return cached
    company = await company_by_id(connection, company_id)
    if company is None:
        raise LookupError(f"company {company_id} does not exist")
    catalog = Catalog(
        company=company,
        lists=tuple(await lists_of_company(connection, company_id)),
        units=tuple(await units_of_company(connection, company_id)),
        privacy_key=await privacy_key(connection, company_id),
    )
    if len(_cache) >= MAX_CACHED_COMPANIES:
        _cache.clear()
    _cache[key] = catalog
    return catalog
