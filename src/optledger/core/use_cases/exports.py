"""The consent ledger, exported for an auditor."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

from optledger.core.exports import ledger
from optledger.storage.database import Database


async def ledger_entries(
    database: Database, company_key: str | None, since: datetime | None
) -> AsyncGenerator[dict[str, Any], None]:
    """Every record, then every event, of one company (or all) since `since` (or ever),
    read in one snapshot on a connection held while they stream (a standby's if one
    answers). Close it (`contextlib.aclosing`) when stopping early."""
    async with (
        database.connection(standby=True) as connection,
        # Closed here, on an error too, while its snapshot's connection is open.
        contextlib.aclosing(ledger(connection, company_key, since)) as entries,
    ):
        async for entry in entries:
            yield entry
