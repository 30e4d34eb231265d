"""The message log: what was queued and sent for a company, as the doors show it."""

from __future__ import annotations

from optledger.core import message_log
from optledger.storage.database import Database
from optledger.storage.repositories.message_deliveries import LoggedMessage as LoggedMessage


async def recent_messages(database: Database, company_id: int, limit: int) -> list[LoggedMessage]:
    """The company's latest `limit` messages, newest first."""
    return await database.read(
        lambda connection: message_log.recent_messages(connection, company_id, limit=limit),
        standby=True,
    )
