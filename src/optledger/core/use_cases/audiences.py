"""Audiences: which of many contacts may be messaged now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable, Sequence

from optledger.core.companies import get_company_by_key
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.subscriptions import eligible_among
from optledger.storage.database import Database


async def eligible_in_chunks(
    database: Database,
    company_key: str,
    chunks: Iterable[Sequence[str]],
    sub_type: SubscriptionType,
    channel: Channel | None = None,
) -> AsyncGenerator[list[str], None]:
    """For each chunk of normalised contact values, in order, those that may receive
    `sub_type` now (one query a chunk, on one connection, a standby's if one answers).

    Each chunk's query runs in the database while the next chunk is taken from
    `chunks`, so reading the input and querying overlap.
    """
    company = await database.read(
        lambda connection: get_company_by_key(connection, company_key), standby=True
    )
    async with database.connection(standby=True) as connection:
        previous: tuple[Sequence[str], asyncio.Task[set[str]]] | None = None
        for chunk in chunks:
            if previous is not None:
                yield await _kept(*previous)
            query = asyncio.create_task(
                eligible_among(connection, company.id, chunk, sub_type, channel)
            )
            await asyncio.sleep(0)  # lets the query leave before the next chunk is read
            previous = (chunk, query)
        if previous is not None:
            yield await _kept(*previous)


async def _kept(chunk: Sequence[str], query: asyncio.Task[set[str]]) -> list[str]:
    eligible = await query
    return [value for value in chunk if value in eligible]
