"""The console's signed-in operator: who a session names on each request, and sign-out.

Signing in is `core.operators.sign_in.sign_in`: it throttles guessing over several
units of work of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.audit import Actor, record_change
from optledger.core.operators import accounts
from optledger.core.operators.sessions import session_operator
from optledger.core.operators.tokens import (
    OperatorPrincipal,
    operator_company,
    search_visible_companies,
    visible_companies,
)
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow, company_by_key
from optledger.storage.sql import Connection

# The most companies one search of the console's company switch lists.
MAX_FOUND_COMPANIES = 50


@dataclass(frozen=True)
class SessionOperator:
    """The operator a console session names, the company their pages show (None when
    they see none), and whether they see others to switch to."""

    operator: OperatorPrincipal
    company: CompanyRow | None
    several_companies: bool


async def session_operator_of(
    database: Database, name: str, epoch: str, company_key: str | None
) -> SessionOperator | None:
    """The operator a session names with its epoch, looking at the session's company if
    they still see it, else at the first they see; None when they were removed or their
    sessions ended since (the epoch compared in constant time)."""

    async def read(connection: Connection) -> SessionOperator | None:
        operator = await session_operator(connection, name, epoch)
        if operator is None:
            return None
        first_two = await visible_companies(connection, operator, limit=2)
        company = await company_by_key(connection, company_key) if company_key else None
        if company is None or not operator.sees(company.id):
            company = next(iter(first_two), None)
        return SessionOperator(operator, company, len(first_two) > 1)

    return await database.read(read)


async def search_operator_companies(
    database: Database, operator: OperatorPrincipal, text: str
) -> list[CompanyRow]:
    """The companies the operator sees whose key or name contains `text` (any case),
    by key, at most `MAX_FOUND_COMPANIES`."""
    return await database.read(
        lambda connection: search_visible_companies(
            connection, operator, text, limit=MAX_FOUND_COMPANIES
        ),
        standby=True,
    )


async def operator_company_of(
    database: Database, operator: OperatorPrincipal, key: str
) -> CompanyRow:
    """The company with `key` if the operator sees it; `Forbidden` (or `NotFound` for an
    operator of every company) otherwise."""
    return await database.read(lambda connection: operator_company(connection, operator, key))


async def end_sessions(database: Database, operator_id: int, *, actor: Actor) -> None:
    """End every console session of the operator (signing out), copies of the cookie
    included, and put the sign-out in the audit trail."""

    async def sign_out(connection: Connection) -> None:
        await accounts.end_sessions(connection, operator_id)
        await record_change(connection, actor, None, "sign_out", "operator", actor.name)

    await database.run(sign_out)
