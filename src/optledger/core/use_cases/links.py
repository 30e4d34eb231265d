"""One-click unsubscribe links for a brand's own emails."""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.consent_links import MintedLink, mint_unsubscribe_links
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow


async def mint_links(
    database: Database,
    company: CompanyRow,
    addresses: Sequence[str],
    list_id: int | None = None,
    *,
    base_url: str | None = None,
    mailto: str | None = None,
) -> list[MintedLink]:
    """A link and its headers per address, for one of the company's email lists (None:
    its default MARKETING email list)."""
    # A write: the first link an installation makes creates its signing secret.
    return await database.run(
        lambda connection: mint_unsubscribe_links(
            connection, company, addresses, list_id, base_url=base_url, mailto=mailto
        )
    )
