"""`/manage/v1/companies/{company_key}/lists`: subscription lists, made, renamed, archived."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.use_cases import lists
from optledger.dialects.manage.dependencies import (
    COMPANY_RESPONSES,
    PREFIX,
    ActingOperator,
    ManagedCompany,
)
from optledger.dialects.manage.wire import ListDto, ListPatch, ListsDto, NewList
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/companies/{{company_key}}/lists",
    tags=["Manage lists"],
    responses=COMPANY_RESPONSES,
)
ListId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("")
async def list_lists(company: ManagedCompany, database: DatabaseDep) -> ListsDto:
    """The company's lists, the (type, channel) defaults and archived ones included."""
    found = await lists.list_lists(database, company.id)
    return ListsDto(lists=[ListDto.of(each) for each in found])


@router.post("", status_code=201)
async def add_list(
    body: NewList, company: ManagedCompany, actor: ActingOperator, database: DatabaseDep
) -> ListDto:
    """A new list of the company (never a (type, channel) default)."""
    added = await lists.add_list(
        database,
        company.id,
        name=body.name,
        description=body.description,
        sub_type=SubscriptionType(body.type),
        channel=Channel(body.channel),
        actor=actor,
    )
    return ListDto.of(added)


@router.get("/{list_id}")
async def read_list(list_id: ListId, company: ManagedCompany, database: DatabaseDep) -> ListDto:
    """One list of the company."""
    return ListDto.of(await lists.get_list(database, company.id, list_id))


@router.patch("/{list_id}", responses={409: {"description": "The list is archived."}})
async def update_list(
    list_id: ListId,
    body: ListPatch,
    company: ManagedCompany,
    actor: ActingOperator,
    database: DatabaseDep,
) -> ListDto:
    """Rename a list or change its description; only what is given changes."""
    changed = await lists.update_list(
        database,
        company.id,
        list_id,
        name=body.name,
        description=body.description,
        actor=actor,
    )
    return ListDto.of(changed)


@router.post("/{list_id}/archive")
async def archive(
    list_id: ListId, company: ManagedCompany, actor: ActingOperator, database: DatabaseDep
) -> ListDto:
    """Archive a list the company made (a default list is 409); its records stay."""
    return ListDto.of(await lists.archive(database, company.id, list_id, actor=actor))
