"""Export: the company's consent ledger downloaded as `optledger export` writes it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response, StreamingResponse

from optledger.console.pages import PAGE_HEADERS, render
from optledger.console.viewer import CurrentViewer
from optledger.core.audit import Actor
from optledger.core.errors import InvalidInput
from optledger.core.export_formats import ExportFormat, ExportWriter
from optledger.core.exports import parse_since
from optledger.core.use_cases import exports
from optledger.storage.database import Database
from optledger.web.authentication import DatabaseDep

router = APIRouter(include_in_schema=False)
MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSONL: "application/jsonl"}
# Entries joined into one piece of the response: fewer, larger writes to the client.
LINES_A_PIECE = 500
Text = Annotated[str | None, Query(max_length=40)]


async def _pieces(
    database: Database,
    company_key: str,
    since: datetime | None,
    writer: ExportWriter,
    actor: Actor,
) -> AsyncIterator[str]:
    lines = [writer.header()]
    entries = exports.ledger_entries(
        database, company_key, since, actor=actor, action="export.downloaded"
    )
    # Closed here, on a client gone away too, while its snapshot's connection is open.
    async with contextlib.aclosing(entries):
        async for entry in entries:
            lines.append(writer.line(entry))
            if len(lines) >= LINES_A_PIECE:
                yield "".join(lines)
                lines = []
    yield "".join(lines)


@router.get("/export")
async def export_ledger(
    viewer: CurrentViewer,
    database: DatabaseDep,
    format: Text = None,
    since: Text = None,
) -> Response:
    """The export form; with `format`, the download (the ledger from one snapshot)."""
    company = viewer.current()
    if format is None:
        return render("export.html", title="Export", viewer=viewer)
    try:
        export_format = ExportFormat(format)
    except ValueError:
        raise InvalidInput("format must be csv or jsonl") from None
    moment = parse_since(since) if since else None
    stamp = "" if moment is None else f"-since-{moment:%Y%m%d}"
    file_name = f"optledger-{company.key}-ledger{stamp}.{export_format.value}"
    headers = {
        **PAGE_HEADERS,
        "Content-Disposition": f'attachment; filename="{file_name}"',
    }
    writer = ExportWriter(export_format)
    return StreamingResponse(
        _pieces(database, company.key, moment, writer, viewer.actor),
        media_type=MEDIA_TYPES[export_format],
        headers=headers,
    )
