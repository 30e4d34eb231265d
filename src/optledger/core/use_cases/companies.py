"""Companies, as the doors find them."""

from __future__ import annotations

from optledger.core.companies import get_company_by_key
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow as CompanyRow


async def find_company(database: Database, key: str) -> CompanyRow:
    """The company with `key`, or `NotFound`."""
    return await database.read(lambda connection: get_company_by_key(connection, key))
