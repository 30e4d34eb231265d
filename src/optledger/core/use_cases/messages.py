"""The message log, as operators read it."""

from __future__ import annotations

from optledger.core.message_log import messages_to, recent_messages
from optledger.storage.database import Database
from optledger.storage.repositories.message_deliveries import LoggedMessage as LoggedMessage


async def list_messages_to(
    database: Database, company_id: int | None, to: str, *, limit: int = 100
) -> list[LoggedMessage]:
    """What was queued for one phone or email, newest first; `company_id` None reads
    across companies."""
    return await database.read(
        lambda connection: messages_to(connection, company_id, to, limit=limit)
    )


async def list_recent_messages(
    database: Database, company_id: int, limit: int
) -> list[LoggedMessage]:
    """The company's latest `limit` messages, newest first."""
    return await database.read(
        lambda connection: recent_messages(connection, company_id, limit=limit),
        standby=True,
    )
