"""The message log: what was queued and sent to a number or address."""

from __future__ import annotations

from optledger.core.contact_points import normalize_address
from optledger.storage.repositories.message_deliveries import LoggedMessage
from optledger.storage.repositories.message_deliveries import messages_to as stored_messages_to
from optledger.storage.repositories.message_deliveries import (
    recent_messages as stored_recent_messages,
)
from optledger.storage.sql import Connection


async def messages_to(
    connection: Connection, company_id: int | None, to: str, *, limit: int = 100
) -> list[LoggedMessage]:
    """What was queued for one phone or email, newest first, with the company key.

    `company_id` None reads across companies (the operator's command line).
    """
    return await stored_messages_to(connection, company_id, normalize_address(to), limit)


async def recent_messages(
    connection: Connection, company_id: int, *, limit: int = 100
) -> list[LoggedMessage]:
    """The company's latest messages, newest first."""
    return await stored_recent_messages(connection, company_id, limit)
