"""An operator signed in to the console: who they are on each request.

The console's session cookie names the operator and the time their password last
changed; each request reads the operator again, so a removed operator, a reset
password or a changed company list takes effect on their next click.
"""

from __future__ import annotations

from optledger.core.operators.tokens import OperatorPrincipal
from optledger.storage.repositories.operators import OperatorRow, company_ids_of, operator_named
from optledger.storage.sql import Connection

# Console requests come through no API token: the limiter keys them apart.
CONSOLE_TOKEN_ID = 0


def password_stamp(operator: OperatorRow) -> str:
    """What a session keeps of the password: when it changed (a reset ends sessions)."""
    return operator.password_changed_at.isoformat()


async def session_operator(
    connection: Connection, name: str, stamp: str
) -> OperatorPrincipal | None:
    """The operator a session names, unless removed or their password changed since."""
    operator = await operator_named(connection, name)
    if operator is None or password_stamp(operator) != stamp:
        return None
    return OperatorPrincipal(
        operator_id=operator.id,
        name=operator.name,
        token_id=CONSOLE_TOKEN_ID,
        all_companies=operator.all_companies,
        company_ids=await company_ids_of(connection, operator),
    )
