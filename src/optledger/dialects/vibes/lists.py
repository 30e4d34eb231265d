"""Subscription lists: the company's lists, each with the links Vibes clients follow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from optledger.core.errors import InvalidInput
from optledger.core.use_cases import people
from optledger.core.use_cases.lists import ListRow, get_list, list_lists
from optledger.dialects.vibes.dependencies import PREFIX, CompanyKey, VibesPrincipal
from optledger.dialects.vibes.persons import mdn
from optledger.dialects.vibes.subscriptions import SubscriptionRecordDto, person_subscriptions
from optledger.web.authentication import DatabaseDep

router = APIRouter(
    prefix=f"{PREFIX}/{{company_key}}/mobiledb/subscription_lists", tags=["Vibes lists"]
)


class SubscriptionListDto(BaseModel):
    id: str
    name: str
    description: str
    url: str
    subscribers_url: str
    acquisition_campaigns_url: str


def _list(company_key: str, found: ListRow) -> SubscriptionListDto:
    url = f"{PREFIX}/{company_key}/mobiledb/subscription_lists/{found.id}"
    return SubscriptionListDto(
        id=str(found.id),
        name=found.name,
        description=found.description,
        url=url,
        subscribers_url=f"{url}/subscribers",
        acquisition_campaigns_url=f"{PREFIX}/{company_key}/campaigns/acquisition",
    )


@router.get("")
async def list_subscription_lists(
    company_key: CompanyKey, principal: VibesPrincipal, database: DatabaseDep
) -> list[SubscriptionListDto]:
    """The company's subscription lists."""
    found = await list_lists(database, principal.company.id)
    return [_list(company_key, item) for item in found]


@router.get("/{subscription_list_id}")
async def get_subscription_list(
    company_key: CompanyKey,
    subscription_list_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> SubscriptionListDto:
    """One subscription list."""
    found = await get_list(database, principal.company.id, subscription_list_id)
    return _list(company_key, found)


@router.get("/{subscription_list_id}/subscribers", response_model=list[SubscriptionRecordDto])
async def find_subscriber(
    company_key: CompanyKey,
    subscription_list_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: VibesPrincipal,
    database: DatabaseDep,
    mdn_query: Annotated[
        str | None, Query(alias="mdn", max_length=32, examples=["14155550124"])
    ] = None,
    person_key: Annotated[str | None, Query(max_length=64)] = None,
    external_person_id: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict[str, Any]]:
    """One subscriber of the list, by MDN, person_key or external_person_id: their
    records on it (404 when they never subscribed to it)."""
    given = [value for value in (mdn_query, person_key, external_person_id) if value]
    if len(given) != 1:
        raise InvalidInput("give exactly one of mdn, person_key and external_person_id")
    if mdn_query:
        holder = await people.find(database, principal.company.id, phone=mdn(mdn_query))
        person_key = holder.person_key
    return await person_subscriptions(
        database,
        principal,
        company_key,
        person_key=person_key,
        external_id=external_person_id,
        list_id=subscription_list_id,
    )
