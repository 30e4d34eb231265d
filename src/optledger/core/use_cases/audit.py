"""The operators' audit trail, as the console and the command line read it."""

from __future__ import annotations

from optledger.core.audit import audit_entries
from optledger.storage.database import Database
from optledger.storage.repositories.audit import AuditEntry as AuditEntry
from optledger.storage.repositories.audit import AuditFilter as AuditFilter


async def list_audit(database: Database, wanted: AuditFilter) -> list[AuditEntry]:
    """The entries `wanted` names (of one company, actor, object), newest first."""
    return await database.read(lambda connection: audit_entries(connection, wanted), standby=True)
