"""A person's subscriptions (seed 004): read them all or by list, and leave a list.

Subscriptions are never created here: only through a campaign, a keyword or
another dialect.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from optledger.core.use_cases.subscriptions import (
    PersonRow,
    RecordRow,
    leave,
    records_by_person_key,
    records_of_person,
)
from optledger.dialects.vibes.dependencies import (
    PREFIX,
    CompanyKey,
    ExternalId,
    PersonKey,
    VibesPrincipal,
    vibes_context,
    vibes_time,
)
from optledger.storage.database import Database
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/{{company_key}}/mobiledb/persons", tags=["Vibes subscriptions"]
)

ListId = Annotated[int, Path(ge=1, le=2**62)]


class Reference(BaseModel):
    id: str
    url: str


class SubscriptionRecordDto(BaseModel):
    person: Reference
    subscription_list: Reference
    opt_in_date: str | None
    opt_out_date: str | None
    opt_out_reason: str | None
    url: str


def _record(company_key: str, person: PersonRow, record: RecordRow) -> dict[str, Any]:
    """A record in the Vibes shape, as plain JSON (the hot read builds no models)."""
    person_url = f"{PREFIX}/{company_key}/mobiledb/persons/{person.person_key}"
    return {
        "person": {"id": person.person_key, "url": person_url},
        "subscription_list": {
            "id": str(record.list_id),
            "url": f"{PREFIX}/{company_key}/mobiledb/subscription_lists/{record.list_id}",
        },
        "opt_in_date": vibes_time(record.opt_in_date),
        "opt_out_date": vibes_time(record.opt_out_date),
        "opt_out_reason": record.opt_out_reason,
        "url": f"{person_url}/subscriptions/{record.list_id}",
    }


async def subscriptions_answer(
    database: Database, company_id: int, company_key: str, person_key: str, active_only: bool
) -> JSONResponse:
    """`GET .../persons/{person_key}/subscriptions`, one statement (see `lookup_lane`)."""
    person, records = await records_by_person_key(
        database, company_id, person_key, active_only=active_only
    )
    return JSONResponse([_record(company_key, person, record) for record in records])


async def person_subscriptions(
    database: DatabaseDep,
    principal: VibesPrincipal,
    company_key: str,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
    list_id: int | None = None,
    active_only: bool = False,
) -> list[dict[str, Any]]:
    """A person's records (named by key or external id), of one list or all of them."""
    person, found = await records_of_person(
        database,
        principal.company.id,
        person_key=person_key,
        external_id=external_id,
        list_id=list_id,
        active_only=active_only,
    )
    return [_record(company_key, person, record) for record in found]


async def _leave(
    request: Request,
    database: DatabaseDep,
    principal: VibesPrincipal,
    list_id: int,
    *,
    person_key: str | None = None,
    external_id: str | None = None,
) -> Response:
    context = vibes_context(request, principal)
    await leave(
        database,
        principal.company,
        list_id,
        context,
        person_key=person_key,
        external_id=external_id,
    )
    return Response(status_code=204)


@router.get("/{person_key}/subscriptions", response_model=list[SubscriptionRecordDto])
async def subscriptions_by_person_key_route(
    company_key: CompanyKey,
    person_key: PersonKey,
    principal: VibesPrincipal,
    database: DatabaseDep,
    active_only: Annotated[bool, Query()] = False,
) -> JSONResponse:
    """Every subscription record of the person, oldest first."""
    return await subscriptions_answer(
        database, principal.company.id, company_key, person_key, active_only
    )


@router.get(
    "/external/{external_person_id}/subscriptions", response_model=list[SubscriptionRecordDto]
)
async def subscriptions_by_external_id(
    company_key: CompanyKey,
    external_person_id: ExternalId,
    principal: VibesPrincipal,
    database: DatabaseDep,
    active_only: Annotated[bool, Query()] = False,
) -> list[dict[str, Any]]:
    """Every subscription record of the person with this external id, oldest first."""
    return await person_subscriptions(
        database, principal, company_key, external_id=external_person_id, active_only=active_only
    )


@router.get(
    "/{person_key}/subscriptions/{subscription_list_id}",
    response_model=list[SubscriptionRecordDto],
)
async def list_status_by_person_key(
    company_key: CompanyKey,
    person_key: PersonKey,
    subscription_list_id: ListId,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> list[dict[str, Any]]:
    """The person's records on one list (404 when never subscribed to it)."""
    return await person_subscriptions(
        database, principal, company_key, person_key=person_key, list_id=subscription_list_id
    )


@router.get(
    "/external/{external_person_id}/subscriptions/{subscription_list_id}",
    response_model=list[SubscriptionRecordDto],
)
async def list_status_by_external_id(
    company_key: CompanyKey,
    external_person_id: ExternalId,
    subscription_list_id: ListId,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> list[dict[str, Any]]:
    """The records on one list of the person with this external id."""
    return await person_subscriptions(
        database,
        principal,
        company_key,
        external_id=external_person_id,
        list_id=subscription_list_id,
    )


@router.delete("/{person_key}/subscriptions/{subscription_list_id}", status_code=204)
async def unsubscribe_by_person_key(
    company_key: CompanyKey,
    person_key: PersonKey,
    subscription_list_id: ListId,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> Response:
    """Opt the person out of one list (`api_opt_out`)."""
    return await _leave(request, database, principal, subscription_list_id, person_key=person_key)


@router.delete(
    "/external/{external_person_id}/subscriptions/{subscription_list_id}", status_code=204
)
async def unsubscribe_by_external_id(
    company_key: CompanyKey,
    external_person_id: ExternalId,
    subscription_list_id: ListId,
    request: Request,
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> Response:
    """Opt the person with this external id out of one list (`api_opt_out`)."""
    return await _leave(
        request, database, principal, subscription_list_id, external_id=external_person_id
    )
