"""Subscription lists: the company's lists, each with the links Vibes clients follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from optledger.core.catalog import load_catalog
from optledger.core.subscriptions.of_person import subscription_list
from optledger.dialects.auth import DatabaseDep
from optledger.dialects.vibes.dependencies import PREFIX, CompanyKey, VibesPrincipal
from optledger.storage.repositories.units import ListRow

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
    catalog = await database.read(lambda connection: load_catalog(connection, principal.company.id))
    return [_list(company_key, found) for found in catalog.lists]


@router.get("/{subscription_list_id}")
async def get_subscription_list(
    company_key: CompanyKey,
    subscription_list_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: VibesPrincipal,
    database: DatabaseDep,
) -> SubscriptionListDto:
    """One subscription list."""
    found = await database.read(
        lambda connection: subscription_list(connection, principal.company.id, subscription_list_id)
    )
    return _list(company_key, found)
