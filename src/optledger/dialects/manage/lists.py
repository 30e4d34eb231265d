"""`/manage/v1/companies/{company_key}/lists`: subscription lists, made, renamed, archived."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.subscription_lists import archive_list, change_list, create_list
from optledger.core.subscriptions.of_person import subscription_list
from optledger.dialects.manage.dependencies import COMPANY_RESPONSES, PREFIX, ManagedCompany
from optledger.dialects.manage.wire import ListDto, ListPatch, ListsDto, NewList
from optledger.storage.repositories.units import ListRow
from optledger.storage.sql import Connection
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
    catalog = await database.read(lambda connection: load_catalog(connection, company.id))
    return ListsDto(lists=[ListDto.of(found) for found in catalog.lists])


@router.post("", status_code=201)
async def add_list(body: NewList, company: ManagedCompany, database: DatabaseDep) -> ListDto:
    """A new list of the company (never a (type, channel) default)."""

    async def apply(connection: Connection) -> ListRow:
        return await create_list(
            connection,
            company.id,
            name=body.name,
            description=body.description,
            sub_type=SubscriptionType(body.type),
            channel=Channel(body.channel),
        )

    return ListDto.of(await database.run(apply))


@router.get("/{list_id}")
async def read_list(list_id: ListId, company: ManagedCompany, database: DatabaseDep) -> ListDto:
    """One list of the company."""
    found = await database.read(
        lambda connection: subscription_list(connection, company.id, list_id)
    )
    return ListDto.of(found)


@router.patch("/{list_id}", responses={409: {"description": "The list is archived."}})
async def update_list(
    list_id: ListId, body: ListPatch, company: ManagedCompany, database: DatabaseDep
) -> ListDto:
    """Rename a list or change its description; only what is given changes."""

    async def apply(connection: Connection) -> ListRow:
        return await change_list(
            connection, company.id, list_id, name=body.name, description=body.description
        )

    return ListDto.of(await database.run(apply))


@router.post("/{list_id}/archive")
async def archive(list_id: ListId, company: ManagedCompany, database: DatabaseDep) -> ListDto:
    """Archive a list the company made (a default list is 409); its records stay."""

    async def apply(connection: Connection) -> ListRow:
        return await archive_list(connection, company.id, list_id)

    return ListDto.of(await database.run(apply))
