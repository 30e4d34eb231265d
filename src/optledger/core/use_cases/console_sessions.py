"""The console's signed-in operator: who a session names on each request, and sign-out.

Signing in is `core.operators.sign_in.sign_in`: it throttles guessing over several
units of work of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.audit import Actor, record_change
from optledger.core.operators import accounts
from optledger.core.operators.sessions import session_operator
from optledger.core.operators.tokens import OperatorPrincipal, visible_companies
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.sql import Connection

# The most companies the console's company switch offers.
MAX_COMPANIES = 500


@dataclass(frozen=True)
class SessionOperator:
    """The operator a console session names, and the companies they see, by key."""

    operator: OperatorPrincipal
    companies: list[CompanyRow]


async def session_operator_of(database: Database, name: str, epoch: str) -> SessionOperator | None:
    """The operator a session names with its epoch; None when they were removed or their
    sessions ended since (the epoch compared in constant time)."""

    async def read(connection: Connection) -> SessionOperator | None:
        operator = await session_operator(connection, name, epoch)
        if operator is None:
            return None
        companies = await visible_companies(connection, operator, limit=MAX_COMPANIES)
        return SessionOperator(operator, companies)

    return await database.read(read)


async def end_sessions(database: Database, operator_id: int, *, actor: Actor) -> None:
    """End every console session of the operator (signing out), copies of the cookie
    included, and put the sign-out in the audit trail."""

    async def sign_out(connection: Connection) -> None:
        await accounts.end_sessions(connection, operator_id)
        await record_change(connection, actor, None, "sign_out", "operator", actor.name)

    await database.run(sign_out)
