"""Sign-up units: listed, created, changed and archived, the same from every door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optledger.core.catalog import load_catalog
from optledger.core.sign_up_units import (
    UnitSpec,
    archive_sign_up_unit,
    create_sign_up_unit,
    get_sign_up_unit,
    update_sign_up_unit,
)
from optledger.storage.database import Database
from optledger.storage.repositories.units import UnitRow as UnitRow
from optledger.storage.sql import Connection


async def list_units(database: Database, company_id: int) -> list[UnitRow]:
    """The company's units, archived ones included, oldest first."""
    catalog = await database.read(
        lambda connection: load_catalog(connection, company_id), standby=True
    )
    return list(catalog.units)


async def get_unit(database: Database, company_id: int, unit_id: int) -> UnitRow:
    """One unit of the company, archived or not, or `NotFound`."""
    return await database.read(
        lambda connection: get_sign_up_unit(connection, company_id, unit_id), standby=True
    )


async def create_unit(database: Database, company_id: int, spec: UnitSpec) -> UnitRow:
    """A new active unit, once `spec` keeps every rule of a unit."""
    return await database.run(lambda connection: create_sign_up_unit(connection, company_id, spec))


async def update_unit(
    database: Database, company_id: int, unit_id: int, changes: Mapping[str, Any]
) -> UnitRow:
    """Change an active unit's fields (`core.sign_up_units.UPDATABLE`); a `language` or
    `country` alone keeps the other half of the unit's locale."""
    return await database.run(
        lambda connection: update_sign_up_unit(connection, company_id, unit_id, changes)
    )


async def archive_unit(database: Database, company_id: int, unit_id: int) -> UnitRow:
    """Stop the unit taking new consent; its records and their evidence stay."""

    async def archive(connection: Connection) -> UnitRow:
        await archive_sign_up_unit(connection, company_id, unit_id)
        return await get_sign_up_unit(connection, company_id, unit_id)

    return await database.run(archive)
