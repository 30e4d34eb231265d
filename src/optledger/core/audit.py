"""The operators' audit trail: who changed what, before and after, when and from where.

A use case that changes something on an operator's behalf appends one entry in the
same unit of work as the change, so both commit or neither does. The doors say who
acts (`Actor`): the console and the management API name the signed-in operator and
the client's address, the command line `cli:<OS user>` and no address. A company's
own API calls (Attentive, Vibes) act for no operator: `actor` None, and nothing is
recorded.

What goes in `changes` is chosen by each use case: text and settings fields, never a
secret (a token, a password, an API secret, a signing key) and never a subscriber's
contact point. Entries are only ever appended: nothing updates or deletes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from optledger.storage.clock import utcnow
from optledger.storage.repositories.audit import (
    AuditEntry,
    AuditFilter,
    NewAuditEntry,
    append_entry,
    list_entries,
)
from optledger.storage.sql import Connection

CLI_PREFIX = "cli:"
MAX_ACTOR = 140
MAX_OBJECT_ID = 200
MAX_PAGE = 1000

Changes = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from which address (None from the command line)."""

    name: str
    client_ip: str | None = None


def cli_actor(os_user: str) -> Actor:
    """The command line's actor: it runs with the database's access and no sign-in, so
    the OS user it runs as is who acts."""
    return Actor(f"{CLI_PREFIX}{os_user}"[:MAX_ACTOR])


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """`{field: {"before", "after"}}` for each field whose value differs (a field one
    side lacks counts as None)."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


async def record_change(
    connection: Connection,
    actor: Actor | None,
    company_id: int | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    changes: Changes | None = None,
) -> None:
    """Append what `actor` did, in the unit of work of the change; nothing for no actor
    (a company's own integration)."""
    if actor is None:
        return
    entry = NewAuditEntry(
        company_id=company_id,
        actor=actor.name[:MAX_ACTOR],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:MAX_OBJECT_ID],
        changes=changes or {},
        client_ip=actor.client_ip[:64] if actor.client_ip else None,
    )
    await append_entry(connection, entry, utcnow())


async def audit_entries(connection: Connection, wanted: AuditFilter) -> list[AuditEntry]:
    """The entries `wanted` names, newest first, at most `MAX_PAGE`."""
    limit = max(1, min(wanted.limit, MAX_PAGE))
    return await list_entries(connection, replace(wanted, limit=limit))
