"""Companies, as the doors find them."""

from __future__ import annotations

from optledger.core.audit import Actor, record_change
from optledger.core.companies import create_company, every_company, get_company_by_key
from optledger.core.operators.tokens import OperatorPrincipal, visible_companies
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow as CompanyRow
from optledger.storage.sql import Connection


async def find_company(database: Database, key: str) -> CompanyRow:
    """The company with `key`, or `NotFound`."""
    return await database.read(lambda connection: get_company_by_key(connection, key))


async def list_companies(database: Database) -> list[CompanyRow]:
    """Every company of the installation, by key."""
    return await database.read(every_company, standby=True)


async def list_visible_companies(
    database: Database, principal: OperatorPrincipal, *, after: str = "", limit: int = 100
) -> list[CompanyRow]:
    """The companies the operator sees, by key, after `after`."""
    return await database.read(
        lambda connection: visible_companies(connection, principal, after=after, limit=limit)
    )


async def add_company(
    database: Database, key: str, name: str | None = None, *, actor: Actor | None
) -> CompanyRow:
    """A new company with its default lists (no units, no credentials); `Conflict` if
    the key is taken."""

    async def add(connection: Connection) -> CompanyRow:
        company = await create_company(connection, key, name)
        changes = {
            "key": {"before": None, "after": company.key},
            "name": {"before": None, "after": company.name},
        }
        await record_change(
            connection, actor, company.id, "company.created", "company", company.key, changes
        )
        return company

    return await database.run(add)
