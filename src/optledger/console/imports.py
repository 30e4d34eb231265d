"""Imports: upload a subscriber list as a job for the worker, follow it, fetch its refusals.

The upload streams to the import folder (`console.uploads`); the job goes through
the same batches as `optledger import` (`core.use_cases.import_jobs`), so a server
restart only delays it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from optledger.console.pages import PAGE_HEADERS, render
from optledger.console.uploads import (
    FORM_ALLOWANCE,
    UploadTooLarge,
    discard_upload,
    new_upload_path,
    read_upload,
)
from optledger.console.viewer import CurrentViewer, Viewer
from optledger.core.errors import InvalidInput, OptledgerError
from optledger.core.import_files import report_text
from optledger.core.import_jobs import QUEUED, RUNNING, Upload
from optledger.core.use_cases import import_jobs, units
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.web.authentication import DatabaseDep
from optledger.web.limits import BodyRefused

router = APIRouter(prefix="/imports", include_in_schema=False)
# The upload route, which the body size limit streams through up to its own limit.
UPLOAD_PATH = "/console/imports"
JobId = Annotated[int, Path(ge=1, le=2**62)]
SHOWN = 100


def upload_limit(settings: Settings) -> int:
    """The most an upload's body may hold: the file, and the form around it."""
    return settings.max_import_bytes + FORM_ALLOWANCE


async def _imports_page(
    viewer: Viewer,
    database: Database,
    typed: dict[str, str] | None = None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    company = viewer.current()
    found = await units.list_units(database, company.id)
    return render(
        "imports.html",
        status,
        title="Imports",
        viewer=viewer,
        units=[unit for unit in found if unit.status == "active"],
        jobs=await import_jobs.list_import_jobs(database, company.id, SHOWN),
        typed=typed or {},
        error=error,
    )


def _columns(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@router.get("")
async def imports_page(viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """The upload form and the company's past imports."""
    return await _imports_page(viewer, database)


@router.post("")
async def upload_import(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """Keep the file and queue its import, or show the form again with what is wrong."""
    company = viewer.current()
    settings: Settings = request.app.state.settings
    path = new_upload_path(settings.resolved_import_dir)
    try:
        form = await read_upload(request, viewer.session, path, settings.max_import_bytes)
    except (UploadTooLarge, BodyRefused) as exc:
        status = exc.status if isinstance(exc, BodyRefused) else 413
        message = (
            f"the file is over {settings.max_import_bytes:,} bytes, the most an import takes "
            "(OPTLEDGER_MAX_IMPORT_BYTES): split it, or import it with `optledger import`"
        )
        if isinstance(exc, BodyRefused) and status != 413:
            message = exc.message
        return await _imports_page(viewer, database, error=message, status=status)
    except InvalidInput as exc:
        return await _imports_page(viewer, database, error=exc.message, status=400)
    typed = {name: form.fields.get(name, "") for name in ("unit_id", "attribute_columns")}
    try:
        if not form.file_name or not form.size:
            raise InvalidInput("choose a CSV file with a header row and at least one row")
        upload = Upload(form.file_name, path.name, _columns(typed["attribute_columns"]))
        job_id = await import_jobs.submit_import(
            database, company.key, typed["unit_id"].strip(), upload, path.parent, actor=viewer.actor
        )
    except OptledgerError as exc:
        discard_upload(path)
        return await _imports_page(viewer, database, typed, error=exc.message, status=400)
    return RedirectResponse(f"/console/imports/{job_id}", status_code=303)


@router.get("/{job_id}")
async def import_job_page(job_id: JobId, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """One import: its state and counts, refreshed every 2 seconds while it runs."""
    company = viewer.current()
    job = await import_jobs.get_import_job(database, company.id, job_id)
    total = job.rows_total or 0
    values: dict[str, Any] = {
        "job": job,
        "refresh": job.state in (QUEUED, RUNNING),
        "percent": 100 * job.rows_done // total if total else None,
    }
    return render("import_job.html", title=f"Import {job.id}", viewer=viewer, **values)


async def _report(database: Database, company_id: int, job_id: int) -> AsyncIterator[str]:
    yield report_text([], header=True)
    async for page in import_jobs.job_refusals(database, company_id, job_id):
        yield report_text(page)


@router.get("/{job_id}/errors.csv")
async def import_job_errors(
    job_id: JobId, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """The job's refused rows with their reasons, as `optledger import` reports them."""
    company = viewer.current()
    job = await import_jobs.get_import_job(database, company.id, job_id)
    headers = {
        **PAGE_HEADERS,
        "Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"',
    }
    return StreamingResponse(
        _report(database, company.id, job.id), media_type="text/csv; charset=utf-8", headers=headers
    )
