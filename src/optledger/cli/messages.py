"""`optledger messages`: what was queued and sent to a number or address."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import console, in_company, run_operation


def messages(
    to: Annotated[str, typer.Option(help="Phone (E.164) or email address.")],
    company: Annotated[str | None, typer.Option(help="Only this company's messages.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Show what was queued and sent to a number or address, newest first."""
    from optledger.core.use_cases import messages as message_log

    found = (
        in_company(
            company,
            lambda database, company_id: message_log.list_messages_to(
                database, company_id, to, limit=limit
            ),
        )
        if company
        else run_operation(
            lambda database: message_log.list_messages_to(database, None, to, limit=limit)
        )
    )
    table = Table("id", "company", "created", "kind", "status", "attempts", "provider id", "body")
    table.columns[2].no_wrap = True
    for message in found:
        error = f" ({message.last_error})" if message.last_error else ""
        table.add_row(
            str(message.id),
            message.company_key,
            f"{message.created_at:%Y-%m-%d %H:%M:%S}",
            message.kind,
            message.status + error,
            str(message.attempts),
            message.provider_id or "",
            message.body if len(message.body) <= 60 else message.body[:59] + "…",
        )
    console.print(table if found else f"nothing was sent to {to}")
