"""Secrets an installation keeps in its database, shared by every process of it.

Each is made once (the first process to need it stores it) and read once a process.
"""

from __future__ import annotations

from optledger.storage.database import Database
from optledger.storage.repositories.server_secrets import shared_secret

_known: dict[tuple[str, str], str] = {}


async def installation_secret(database: Database, name: str) -> str:
    """The secret `name` of the installation behind `database`, made if it has none."""
    key = (database.url, name)
    found = _known.get(key)
    if found is None:
        found = await database.run(lambda connection: shared_secret(connection, name))
        _known[key] = found
    return found
