"""The consent ledger, exported for an auditor."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

from optledger.core.audit import Actor, record_change
from optledger.core.companies import get_company_by_key
from optledger.core.exports import ledger
from optledger.storage.database import Database
from optledger.storage.sql import Connection


async def _record_export(
    connection: Connection,
    actor: Actor,
    action: str,
    company_key: str | None,
    since: datetime | None,
) -> None:
    company_id = (
        None if company_key is None else (await get_company_by_key(connection, company_key)).id
    )
    changes = {
        "company": {"before": None, "after": company_key or "every company"},
        "since": {"before": None, "after": None if since is None else since.isoformat()},
    }
    await record_change(connection, actor, company_id, action, "export", company_key, changes)


async def ledger_entries(
    database: Database,
    company_key: str | None,
    since: datetime | None,
    *,
    actor: Actor,
    action: str = "export.run",
) -> AsyncGenerator[dict[str, Any], None]:
    """Every record, then every event, of one company (or all) since `since` (or ever),
    read in one snapshot on a connection held while they stream (a standby's if one
    answers), once `actor` exporting it is in the audit trail (`action` says how: run
    from the command line, downloaded). Close it (`contextlib.aclosing`) when stopping
    early."""
    # Its own unit of work on the primary: the export itself reads a standby.
    await database.run(
        lambda connection: _record_export(connection, actor, action, company_key, since)
    )
    async with (
        database.connection(standby=True) as connection,
        # Closed here, on an error too, while its snapshot's connection is open.
        contextlib.aclosing(ledger(connection, company_key, since)) as entries,
    ):
        async for entry in entries:
            yield entry
