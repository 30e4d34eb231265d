"""`optledger audit`: the operators' audit trail, newest first."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from optledger.cli.support import JsonListOption, console, print_json, run_operation

if TYPE_CHECKING:
    from optledger.core.use_cases.audit import AuditEntry
    from optledger.storage.database import Database

audit_app = typer.Typer(help="The operators' audit trail.", no_args_is_help=True)


def _object_filter(raw: str | None) -> tuple[str | None, str | None]:
    """`TYPE` or `TYPE:ID` as (type, id)."""
    if not raw:
        return None, None
    object_type, _, object_id = raw.partition(":")
    return object_type.strip() or None, object_id.strip() or None


def _table(entries: list[AuditEntry]) -> None:
    table = Table("id", "when", "actor", "action", "object", "changes", "address")
    for entry in entries:
        table.add_row(
            str(entry.id),
            entry.created_at.isoformat(timespec="seconds"),
            entry.actor,
            entry.action,
            f"{entry.object_type} {entry.object_id or ''}".strip(),
            # The fields only: their texts are long, and in full in --json.
            ", ".join(entry.changes),
            entry.client_ip or "",
        )
    console.print(table)


@audit_app.command("list")
def list_entries(
    company: Annotated[
        str | None,
        typer.Option(help="Company key (default: the whole installation, sign-ins included)."),
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Only this actor: an operator, or cli:<user>.")
    ] = None,
    object_filter: Annotated[
        str | None, typer.Option("--object", help="Only this object: TYPE or TYPE:ID.")
    ] = None,
    before: Annotated[
        int | None, typer.Option(min=1, help="Only entries older than this id (paging).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    as_json: JsonListOption = False,
) -> None:
    """Who changed what, when and from where; newest first."""
    from optledger.core.use_cases.audit import AuditFilter, list_audit
    from optledger.core.use_cases.companies import find_company

    object_type, object_id = _object_filter(object_filter)

    async def read(database: Database) -> list[AuditEntry]:
        company_id = None if company is None else (await find_company(database, company)).id
        wanted = AuditFilter(
            company_id=company_id,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            limit=limit,
        )
        if before is not None:
            wanted = replace(wanted, before=before)
        return await list_audit(database, wanted)

    entries = run_operation(read)
    if as_json:
        print_json([asdict(entry) for entry in entries])
        return
    _table(entries)
