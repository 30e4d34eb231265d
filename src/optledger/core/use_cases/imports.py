"""Imports of subscriber lists: where the rows go in, and one batch of them at a time."""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.audit import Actor
from optledger.core.import_jobs import record_import_start
from optledger.core.import_rows import ImportRow
from optledger.core.imports import BatchOutcome, ImportTarget, find_import_target, import_batch
from optledger.storage.database import Database
from optledger.storage.sql import Connection


async def start_import(
    database: Database,
    unit_id: str,
    company_key: str | None,
    file_name: str,
    *,
    actor: Actor | None,
) -> ImportTarget:
    """The active unit rows go in through (with `company_key`, it must be that company's),
    once the import's start is in the audit trail."""

    async def start(connection: Connection) -> ImportTarget:
        target = await find_import_target(connection, unit_id, company_key, file_name)
        await record_import_start(connection, actor, target)
        return target

    return await database.run(start)


async def import_rows(
    database: Database, target: ImportTarget, rows: Sequence[ImportRow]
) -> BatchOutcome:
    """Import one batch of checked rows in its own unit of work, replayed whole on a lost race."""
    return await database.run(lambda connection: import_batch(connection, target, rows))
