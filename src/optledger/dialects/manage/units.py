"""`/manage/v1/companies/{company_key}/units`: sign-up units, created, changed, archived.

A unit created here takes subscribe requests at once, in every process: the change
bumps the company's version, which every cached catalog checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from optledger.core.consent import SubscriptionType
from optledger.core.sign_up_units import TEXTS, Locale, UnitSpec
from optledger.core.use_cases import units
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ActingOperator,
    ManagedCompany,
)
from optledger.dialects.manage.wire import NewUnit, UnitDto, UnitPatch, UnitsDto
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
    """The core's spec of a new unit: the body's fields under the core's names."""
    given = body.model_dump(exclude={"type", "locale"})
    return UnitSpec(
        subscription_type=SubscriptionType(body.type),
        locale=Locale(body.locale.language, body.locale.country),
        **given,
    )


def unit_changes(body: UnitPatch) -> dict[str, Any]:
    """The fields a patch gives, as the core's `update_sign_up_unit` takes them."""
    given = body.model_dump(exclude_unset=True)
    changes = {name: value for name, value in given.items() if value is not None or name in TEXTS}
    if "locale" in changes:
        changes["locale"] = Locale(changes["locale"]["language"], changes["locale"]["country"])
    return changes


@router.get("")
async def list_units(company: ManagedCompany, database: DatabaseDep) -> UnitsDto:
    """The company's units, archived ones included, oldest first."""
    return UnitsDto(
        units=[UnitDto.of(unit) for unit in await units.list_units(database, company.id)]
    )


@router.post("", status_code=201)
async def create_unit(
    body: NewUnit, company: ManagedCompany, actor: ActingOperator, database: DatabaseDep
) -> UnitDto:
    """A new active unit; its `id` is the `signUpSourceId` subscribe requests name.

    A MARKETING unit needs legal disclosure text; a KEYWORD unit needs keywords, none
    of them reserved (STOP, HELP, YES, ...) nor another active unit's.
    """
    return UnitDto.of(await units.create_unit(database, company.id, unit_spec(body), actor=actor))


@router.get("/{unit_id}")
async def get_unit(unit_id: UnitId, company: ManagedCompany, database: DatabaseDep) -> UnitDto:
    """One unit of the company."""
    return UnitDto.of(await units.get_unit(database, company.id, unit_id))


@router.patch("/{unit_id}", responses=CONFLICTS)
async def update_unit(
    unit_id: UnitId,
    body: UnitPatch,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> UnitDto:
    """Change an active unit; consent already given keeps the texts it was given with."""
    changes = unit_changes(body)
    return UnitDto.of(await units.update_unit(database, company.id, unit_id, changes, actor=actor))


@router.post("/{unit_id}/archive")
async def archive_unit(
    unit_id: UnitId, company: ManagedCompany, actor: ActingOperator, database: DatabaseDep
) -> UnitDto:
    """Stop the unit taking new consent; its records and their evidence stay."""
    return UnitDto.of(await units.archive_unit(database, company.id, unit_id, actor=actor))
