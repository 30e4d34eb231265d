"""Companies (tenants) and their default subscription lists."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import InvalidInput, NotFound
from optledger.storage.tables import Company, SubscriptionList

_COMPANY_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


def validate_company_key(key: str) -> str:
    """A company key must be url-safe: it appears in Vibes routes."""
    if not _COMPANY_KEY.match(key):
        raise InvalidInput(f"company key {key!r} must be 2-63 characters of a-z, 0-9, '-' or '_'")
    return key


async def get_company_by_key(session: AsyncSession, key: str) -> Company:
    """The company with `key`, or `NotFound`."""
    company = await session.scalar(select(Company).where(Company.key == key))
    if company is None:
        raise NotFound(f"company {key!r} does not exist")
    return company


async def ensure_company(session: AsyncSession, key: str, name: str | None = None) -> Company:
    """The company with `key`, created with its default lists if it is new."""
    validate_company_key(key)
    company = await session.scalar(select(Company).where(Company.key == key))
    if company is None:
        company = Company(key=key, name=name or key, contact_email=None, settings={})
        session.add(company)
        await session.flush()
    await ensure_default_lists(session, company)
    return company


async def ensure_default_lists(session: AsyncSession, company: Company) -> None:
    """One default list per (type, channel), created where missing."""
    existing = {
        (row.type, row.channel)
        for row in await session.scalars(
            select(SubscriptionList).where(
                SubscriptionList.company_id == company.id, SubscriptionList.is_default
            )
        )
    }
    for sub_type in SubscriptionType:
        for channel in Channel:
            if (sub_type, channel) in existing:
                continue
            session.add(
                SubscriptionList(
                    company_id=company.id,
                    name=f"{sub_type.value.title().replace('_', ' ')} {channel.value.lower()}",
                    description=f"Default {sub_type.value} list on {channel.value}",
                    type=sub_type.value,
                    channel=channel.value,
                    is_default=True,
                )
            )
    await session.flush()


async def default_list(
    session: AsyncSession, company_id: int, sub_type: SubscriptionType, channel: Channel
) -> SubscriptionList:
    """The list that an Attentive (type, channel) pair addresses."""
    found = await session.scalar(
        select(SubscriptionList).where(
            SubscriptionList.company_id == company_id,
            SubscriptionList.type == sub_type,
            SubscriptionList.channel == channel,
            SubscriptionList.is_default,
        )
    )
    if found is None:
        raise NotFound(f"company has no default {sub_type}/{channel} list")
    return found
