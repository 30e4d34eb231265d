"""`/manage/v1/me` and `/manage/v1/companies`: who the token is, and the companies it sees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from optledger.core.operators.tokens import require_every_company
from optledger.core.use_cases import companies
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ActingOperator,
    ManagedCompany,
    Operator,
)
from optledger.dialects.manage.wire import CompaniesDto, CompanyDto, NewCompany, OperatorDto
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
    found = await companies.list_visible_companies(database, principal, after=after, limit=limit)
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
async def add_company(
    body: NewCompany, principal: Operator, actor: ActingOperator, database: DatabaseDep
) -> CompanyDto:
    """A new company with its default lists (no sign-up units, no credentials yet)."""
    require_every_company(principal)
    return CompanyDto.of(await companies.add_company(database, body.key, body.name, actor=actor))


@router.get("/companies/{company_key}", responses=COMPANY_RESPONSES)
async def get_company(company: ManagedCompany) -> CompanyDto:
    """One company the operator sees."""
    return CompanyDto.of(company)
