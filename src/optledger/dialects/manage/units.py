"""`/manage/v1/companies/{company_key}/units`: sign-up units, created, changed, archived.

A unit created here takes subscribe requests at once, in every process: the change
bumps the company's version, which every cached catalog checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.sign_up_units import (
    Locale,
    UnitSpec,
    archive_sign_up_unit,
    create_sign_up_unit,
    get_sign_up_unit,
    update_sign_up_unit,
)
from optledger.dialects.manage.dependencies import COMPANY_RESPONSES, PREFIX, ManagedCompany
from optledger.dialects.manage.wire import NewUnit, UnitDto, UnitPatch, UnitsDto
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/companies/{{company_key}}/units",
    tags=["Manage sign-up units"],
    responses=COMPANY_RESPONSES,
)
UnitId = Annotated[int, Path(ge=1, le=2**62)]
# PATCH is no idempotent write to the OpenAPI amendments: its conflicts are its own.
CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Another unit has this name or keyword, or it is archived."}
}


def unit_spec(body: NewUnit) -> UnitSpec:
    """The core's spec of a new unit."""
    return UnitSpec(
        name=body.name,
        subscription_type=SubscriptionType(body.type),
        channels=[Channel(channel) for channel in body.channels],
        locale=Locale(body.locale.language, body.locale.country),
        method=body.method,
        legal_disclosure=body.legal_disclosure,
        confirmation_prompt=body.confirmation_prompt,
        welcome_text=body.welcome_text,
        keywords=list(body.keywords),
        double_opt_in=body.double_opt_in,
        email_double_opt_in=body.email_double_opt_in,
        allow_single_opt_in=body.allow_single_opt_in,
        welcome_on_single_opt_in=body.welcome_on_single_opt_in,
    )


def unit_changes(body: UnitPatch) -> dict[str, Any]:
    """The fields a patch gives, as the core's `update_sign_up_unit` takes them."""
    given = body.model_dump(exclude_unset=True)
    texts = {"legal_disclosure", "confirmation_prompt", "welcome_text"}
    changes = {name: value for name, value in given.items() if value is not None or name in texts}
    if "channels" in changes:
        changes["channels"] = [Channel(channel) for channel in changes["channels"]]
    if "locale" in changes:
        changes["locale"] = Locale(changes["locale"]["language"], changes["locale"]["country"])
    return changes


@router.get("")
async def list_units(company: ManagedCompany, database: DatabaseDep) -> UnitsDto:
    """The company's units, archived ones included, oldest first."""
    catalog = await database.read(lambda connection: load_catalog(connection, company.id))
    return UnitsDto(units=[UnitDto.of(unit) for unit in catalog.units])


@router.post("", status_code=201)
async def create_unit(body: NewUnit, company: ManagedCompany, database: DatabaseDep) -> UnitDto:
    """A new active unit; its `id` is the `signUpSourceId` subscribe requests name.

    A MARKETING unit needs legal disclosure text; a KEYWORD unit needs keywords, none
    of them reserved (STOP, HELP, YES, ...) nor another active unit's.
    """
    spec = unit_spec(body)

    async def apply(connection: Connection) -> UnitRow:
        return await create_sign_up_unit(connection, company.id, spec)

    return UnitDto.of(await database.run(apply))


@router.get("/{unit_id}")
async def get_unit(unit_id: UnitId, company: ManagedCompany, database: DatabaseDep) -> UnitDto:
    """One unit of the company."""
    unit = await database.read(lambda connection: get_sign_up_unit(connection, company.id, unit_id))
    return UnitDto.of(unit)


@router.patch("/{unit_id}", responses=CONFLICTS)
async def update_unit(
    unit_id: UnitId, body: UnitPatch, company: ManagedCompany, database: DatabaseDep
) -> UnitDto:
    """Change an active unit; consent already given keeps the texts it was given with."""
    changes = unit_changes(body)

    async def apply(connection: Connection) -> UnitRow:
        return await update_sign_up_unit(connection, company.id, unit_id, changes)

    return UnitDto.of(await database.run(apply))


@router.post("/{unit_id}/archive")
async def archive_unit(unit_id: UnitId, company: ManagedCompany, database: DatabaseDep) -> UnitDto:
    """Stop the unit taking new consent; its records and their evidence stay."""

    async def apply(connection: Connection) -> UnitRow:
        await archive_sign_up_unit(connection, company.id, unit_id)
        return await get_sign_up_unit(connection, company.id, unit_id)

    return UnitDto.of(await database.run(apply))
