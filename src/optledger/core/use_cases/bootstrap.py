"""Bootstrap: a company ready to use, with credentials derived from the installation's secret."""

from __future__ import annotations

from optledger.bootstrap import BootstrapResult as BootstrapResult
from optledger.bootstrap import bootstrap_company
from optledger.core.audit import Actor, record_change
from optledger.core.server_secrets import installation_secret
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.sql import Connection

# The name of the secret kept in a PostgreSQL database when none is configured.
BOOTSTRAP_SECRET = "bootstrap"


async def set_up_company(
    database: Database,
    settings: Settings,
    key: str,
    *,
    name: str | None = None,
    actor: Actor | None,
) -> BootstrapResult:
    """Create, or find again, the company `key` with its lists, one API unit per type and
    its credentials; running it again gives the same credentials.

    They derive from `OPTLEDGER_SECRET_KEY`, else from the installation's own secret.
    """
    # The data folder sits beside the embedded database; PostgreSQL is shared by many
    # hosts, so its secret lives in it.
    secret = (
        settings.resolved_secret_key()
        if settings.is_sqlite
        else settings.secret_key or await installation_secret(database, BOOTSTRAP_SECRET)
    )

    async def set_up(connection: Connection) -> BootstrapResult:
        result = await bootstrap_company(connection, key, server_secret=secret, name=name)
        # That it ran (it is idempotent): the credentials it prints are secrets.
        await record_change(
            connection, actor, result.company.id, "company.bootstrapped", "company", key
        )
        return result

    return await database.run(set_up)
