"""The operators' audit trail: appended and listed, never updated or deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time

INSERT_AUDIT = Query(
    """INSERT INTO operator_audit
        (company_id, actor, action, object_type, object_id, changes, client_ip, created_at)
    VALUES
        (:company_id, :actor, :action, :object_type, :object_id, :changes, :client_ip, :now)"""
)
# Each filter is off when its parameter is NULL; newest first, a page before `before`.
LIST_AUDIT = Query(
    """SELECT id, company_id, actor, action, object_type, object_id, changes, client_ip,
        created_at
    FROM operator_audit
    WHERE (CAST(:company_id AS BIGINT) IS NULL OR company_id = :company_id)
      AND (CAST(:actor AS TEXT) IS NULL OR actor = :actor)
      AND (CAST(:object_type AS TEXT) IS NULL OR object_type = :object_type)
      AND (CAST(:object_id AS TEXT) IS NULL OR object_id = :object_id)
      AND id < :before
    ORDER BY id DESC
    LIMIT :limit"""
)


@dataclass(frozen=True)
class NewAuditEntry:
    """One change to append: who, what, which object, what changed and from where."""

    company_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: str | None
    changes: dict[str, Any]
    client_ip: str | None


@dataclass(frozen=True)
class AuditEntry(NewAuditEntry):
    """An entry as stored."""

    id: int
    created_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: of one company (None: every one), one actor, one object
    type and id; `before` an id to page back from."""

    company_id: int | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    before: int = 2**62
    limit: int = 100


async def append_entry(connection: Connection, entry: NewAuditEntry, now: datetime) -> None:
    """Append one entry (there is no statement here, or anywhere, that changes one)."""
    await connection.execute(
        INSERT_AUDIT,
        {
            "company_id": entry.company_id,
            "actor": entry.actor,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "changes": Json(entry.changes),
            "client_ip": entry.client_ip,
            "now": now,
        },
    )


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        company_id=row["company_id"],
        actor=row["actor"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        changes=as_json(row["changes"]),
        client_ip=row["client_ip"],
        created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
    )


async def list_entries(connection: Connection, wanted: AuditFilter) -> list[AuditEntry]:
    """The entries `wanted` names, newest first."""
    rows = await connection.fetch(
        LIST_AUDIT,
        {
            "company_id": wanted.company_id,
            "actor": wanted.actor,
            "object_type": wanted.object_type,
            "object_id": wanted.object_id,
            "before": wanted.before,
            "limit": wanted.limit,
        },
    )
    return [_entry(row) for row in rows]
