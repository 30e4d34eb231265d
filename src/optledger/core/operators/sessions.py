"""An operator signed in to the console: who they are on each request, and sign-out.

The console's session cookie names the operator and their session epoch, a random
value kept in the database. Each request reads the operator again and compares:
signing out, a new password or losing a company gives the operator a new epoch,
and removing them removes it, so every cookie issued before (a copied one too)
opens nothing afterwards, in every server process at once.
"""

from __future__ import annotations

import hmac

from optledger.core.operators.tokens import OperatorPrincipal
from optledger.storage.repositories.operators import (
    company_ids_of,
    operator_named,
)
from optledger.storage.sql import Connection

# Console requests come through no API token: the limiter keys them apart.
CONSOLE_TOKEN_ID = 0


async def session_operator(
    connection: Connection, name: str, epoch: str
) -> OperatorPrincipal | None:
    """The operator a session names, unless removed or their sessions ended since."""
    operator = await operator_named(connection, name)
    if operator is None or not hmac.compare_digest(operator.session_epoch.encode(), epoch.encode()):
        return None
    return OperatorPrincipal(
        operator_id=operator.id,
        name=operator.name,
        token_id=CONSOLE_TOKEN_ID,
        all_companies=operator.all_companies,
        company_ids=await company_ids_of(connection, operator),
    )
