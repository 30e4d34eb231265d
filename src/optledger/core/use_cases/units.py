"""Sign-up units: listed, created, changed and archived, the same from every door."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from optledger.core.audit import Actor, changed_fields, record_change
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

# What the audit trail leaves out of a unit: what never changes, or is not the unit's.
_NOT_AUDITED = {"id", "company_id", "created_at"}


def _audited(unit: UnitRow) -> dict[str, Any]:
    """A unit's fields as the audit trail compares them."""
    return {k: v for k, v in dataclasses.asdict(unit).items() if k not in _NOT_AUDITED}


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


async def create_unit(
    database: Database, company_id: int, spec: UnitSpec, *, actor: Actor | None
) -> UnitRow:
    """A new active unit, once `spec` keeps every rule of a unit."""

    async def create(connection: Connection) -> UnitRow:
        unit = await create_sign_up_unit(connection, company_id, spec)
        changes = changed_fields({}, _audited(unit))
        await record_change(connection, actor, company_id, "unit.created", "unit", unit.id, changes)
        return unit

    return await database.run(create)


async def update_unit(
    database: Database,
    company_id: int,
    unit_id: int,
    changes: Mapping[str, Any],
    *,
    actor: Actor | None,
) -> UnitRow:
    """Change an active unit's fields (`core.sign_up_units.UPDATABLE`); a `language` or
    `country` alone keeps the other half of the unit's locale."""

    async def update(connection: Connection) -> UnitRow:
        before = await get_sign_up_unit(connection, company_id, unit_id)
        after = await update_sign_up_unit(connection, company_id, unit_id, changes)
        changed = changed_fields(_audited(before), _audited(after))
        await record_change(connection, actor, company_id, "unit.updated", "unit", unit_id, changed)
        return after

    return await database.run(update)


async def archive_unit(
    database: Database, company_id: int, unit_id: int, *, actor: Actor | None
) -> UnitRow:
    """Stop the unit taking new consent; its records and their evidence stay."""

    async def archive(connection: Connection) -> UnitRow:
        before = await get_sign_up_unit(connection, company_id, unit_id)
        await archive_sign_up_unit(connection, company_id, unit_id)
        after = await get_sign_up_unit(connection, company_id, unit_id)
        changed = changed_fields(_audited(before), _audited(after))
        await record_change(
            connection, actor, company_id, "unit.archived", "unit", unit_id, changed
        )
        return after

    return await database.run(archive)
