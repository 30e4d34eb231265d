"""`/manage/v1/me` and `/manage/v1/companies`: who the token is, and the companies it sees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from optledger.core.companies import create_company
from optledger.core.operators.tokens import require_every_company, visible_companies
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ManagedCompany,
    Operator,
)
from optledger.dialects.manage.wire import CompaniesDto, CompanyDto, NewCompany, OperatorDto
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.sql import Connection
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix=PREFIX, tags=["Manage companies"])


@router.get("/me")
async def me(principal: Operator) -> OperatorDto:
    """The operator the token acts for."""
    return OperatorDto(name=principal.name, all_companies=principal.all_companies)


@router.get("/companies")
async def list_companies(
    principal: Operator,
    database: DatabaseDep,
    after: Annotated[
        str, Query(pattern=r"^[a-z0-9_-]{0,63}$", description="The page before's last key.")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CompaniesDto:
    """The companies the operator sees, by key."""
    found = await database.read(
        lambda connection: visible_companies(connection, principal, after=after, limit=limit)
    )
    next_after = found[-1].key if len(found) == limit else None
    return CompaniesDto(companies=[CompanyDto.of(one) for one in found], next_after=next_after)


@router.post(
    "/companies",
    status_code=201,
    responses={
        403: {"description": "Only an operator of every company adds companies."},
        409: {"description": "A company has this key."},
    },
)
async def add_company(body: NewCompany, principal: Operator, database: DatabaseDep) -> CompanyDto:
    """A new company with its default lists (no sign-up units, no credentials yet)."""
    require_every_company(principal)

    async def apply(connection: Connection) -> CompanyRow:
        return await create_company(connection, body.key, body.name)

    return CompanyDto.of(await database.run(apply))


@router.get("/companies/{company_key}", responses=COMPANY_RESPONSES)
async def get_company(company: ManagedCompany) -> CompanyDto:
    """One company the operator sees."""
    return CompanyDto.of(company)
