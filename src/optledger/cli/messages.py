"""`optledger messages`: what was queued and sent to a number or address."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optledger.cli.support import console, in_transaction
from optledger.core.companies import get_company_by_key
from optledger.core.message_log import messages_to
from optledger.storage.repositories.message_deliveries import LoggedMessage
from optledger.storage.sql import Connection


def messages(
    to: Annotated[str, typer.Option(help="Phone (E.164) or email address.")],
    company: Annotated[str | None, typer.Option(help="Only this company's messages.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Show what was queued and sent to a number or address, newest first."""

    async def query(connection: Connection) -> list[LoggedMessage]:
        company_id = (await get_company_by_key(connection, company)).id if company else None
        return await messages_to(connection, company_id, to, limit=limit)

    found = in_transaction(query)
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
