"""Import jobs: queued from the console, run by the worker, shown with their refused rows."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path

from optledger.core.audit import Actor
from optledger.core.errors import InvalidInput, NotFound, OptledgerError
from optledger.core.import_files import (
    checked_batches,
    count_records,
    csv_reader,
    file_records,
    read_columns,
)
from optledger.core.import_jobs import DONE, FAILED, Upload, import_job_batch, queue_import
from optledger.core.import_rows import Refusal
from optledger.core.imports import ImportTarget, find_import_target
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.import_jobs import (
    ImportJobRow as ImportJobRow,
)
from optledger.storage.repositories.import_jobs import (
    LeaseLost,
    claim_job,
    finish_job,
    job_of_company,
    jobs_of_company,
    refusals_after,
    release_job,
    set_total,
)

log = logging.getLogger(__name__)
# Rows a job writes in one transaction, as `optledger import` does by default.
BATCH_SIZE = 2000
# A job that took its worker down this many times is failed rather than tried again.
MAX_ATTEMPTS = 5
REFUSALS_PAGE = 1000


def check_upload(path: Path, attribute_columns: list[str]) -> None:
    """Refuse at once a file an import could not read: not UTF-8 CSV, or a header
    without the columns it needs (`InvalidInput`)."""
    with path.open("rb") as raw:
        try:
            read_columns(csv_reader(raw), attribute_columns)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"the file is not a UTF-8 CSV file: {exc}") from None


async def submit_import(
    database: Database,
    company_key: str,
    unit_id: str,
    upload: Upload,
    folder: Path,
    *,
    actor: Actor,
) -> int:
    """Queue the uploaded file (kept in `folder`) for the worker once its header is
    checked and its unit found; returns the job's id."""
    check_upload(folder / upload.stored_name, upload.attribute_columns)
    return await database.run(
        lambda connection: queue_import(connection, company_key, unit_id, upload, actor)
    )


async def list_import_jobs(database: Database, company_id: int, limit: int) -> list[ImportJobRow]:
    """The company's latest import jobs, newest first."""
    return await database.read(
        lambda connection: jobs_of_company(connection, company_id, limit), standby=True
    )


async def get_import_job(database: Database, company_id: int, job_id: int) -> ImportJobRow:
    """One of the company's import jobs, or `NotFound` (another company's too)."""
    job = await database.read(lambda connection: job_of_company(connection, company_id, job_id))
    if job is None:
        raise NotFound(f"import {job_id} does not exist")
    return job


async def job_refusals(
    database: Database, company_id: int, job_id: int
) -> AsyncIterator[list[Refusal]]:
    """The job's refused rows in line order, a page at a time."""
    after = 0
    while True:
        page = await database.read(
            partial(
                refusals_after,
                company_id=company_id,
                job_id=job_id,
                after=after,
                limit=REFUSALS_PAGE,
            )
        )
        if not page:
            return
        yield [Refusal(*row) for row in page]
        after = page[-1][0]


async def run_import_jobs(
    database: Database, folder: Path, lease: timedelta, stop: asyncio.Event | None = None
) -> int:
    """Run due import jobs one after another until none is left (or `stop`); returns
    how many were taken."""
    taken = 0
    while stop is None or not stop.is_set():
        token = secrets.token_urlsafe(24)
        now = utcnow()
        job = await database.run(
            lambda connection: claim_job(connection, token, now, now + lease)  # noqa: B023
        )
        if job is None:
            break
        taken += 1
        with contextlib.suppress(LeaseLost):
            await _run_job(database, job, folder, lease, stop)
    return taken


async def _finish(database: Database, job: ImportJobRow, folder: Path, failure: str | None) -> None:
    state = DONE if failure is None else FAILED
    await database.run(lambda connection: finish_job(connection, job, state, failure, utcnow()))
    # What was uploaded is people's contact points: it goes once imported.
    (folder / job.stored_name).unlink(missing_ok=True)


async def _run_job(
    database: Database,
    job: ImportJobRow,
    folder: Path,
    lease: timedelta,
    stop: asyncio.Event | None,
) -> None:
    """Import the job's file from where it stopped; a refusal of the whole file (its
    unit archived, an unreadable file) fails the job with the reason."""
    path = folder / job.stored_name
    if job.attempts > MAX_ATTEMPTS:
        await _finish(database, job, folder, f"stopped after {MAX_ATTEMPTS} attempts")
        return
    if not path.exists():
        await _finish(database, job, folder, "the uploaded file is no longer there")
        return
    try:
        target = await database.read(
            lambda connection: find_import_target(connection, str(job.unit_id), None, job.file_name)
        )
        if job.rows_total is None:
            total = await asyncio.to_thread(count_records, path)
            await database.run(lambda connection: set_total(connection, job, total))
        finished = await _import_file(database, job, target, path, lease, stop)
    except OptledgerError as exc:
        await _finish(database, job, folder, exc.message)
        return
    except (UnicodeDecodeError, csv.Error) as exc:
        await _finish(database, job, folder, f"the file is not a UTF-8 CSV file: {exc}")
        return
    if finished:
        await _finish(database, job, folder, None)
    else:
        # Asked to stop: the next worker takes it up after the last committed batch.
        await database.run(lambda connection: release_job(connection, job))


async def _import_file(
    database: Database,
    job: ImportJobRow,
    target: ImportTarget,
    path: Path,
    lease: timedelta,
    stop: asyncio.Event | None,
) -> bool:
    """Import the rows after the job's checkpoint, a batch a transaction; False when
    `stop` came first."""
    with path.open("rb") as raw:
        reader = csv_reader(raw)
        columns = read_columns(reader, job.attribute_columns)
        batches = checked_batches(
            file_records(reader),
            columns,
            target.unit.country,
            BATCH_SIZE,
            after_line=job.checkpoint_line,
        )
        async for batch in batches:
            lease_until = utcnow() + lease
            await database.run(
                lambda connection: import_job_batch(
                    connection,
                    job,
                    target,
                    batch,  # noqa: B023
                    lease_until,  # noqa: B023
                )
            )
            if stop is not None and stop.is_set():
                return False
    return True
