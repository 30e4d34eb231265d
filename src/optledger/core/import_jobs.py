"""Import jobs: a file uploaded in the console, imported by the worker a batch at a time.

The job's batches go through `core.imports.import_batch`, as `optledger import`'s
do; each commits with the job's counts, its refused rows and the last line it
reached, so a job taken up again after its worker died resumes after that line
with nothing counted twice (and importing a row again would change nothing anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.core.audit import Actor, record_change
from optledger.core.import_rows import ImportRow, Refusal
from optledger.core.imports import BatchOutcome, ImportTarget, find_import_target, import_batch
from optledger.storage.clock import utcnow
from optledger.storage.repositories.import_jobs import (
    BatchProgress,
    ImportJobRow,
    NewImportJob,
    advance_job,
    insert_job,
)
from optledger.storage.sql import Connection

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_FILE_NAME = 200


@dataclass(frozen=True)
class Upload:
    """A file an operator uploaded: their name for it, the name it is kept under in the
    import folder, and the columns to set as attributes."""

    file_name: str
    stored_name: str
    attribute_columns: list[str]


async def record_import_start(
    connection: Connection, actor: Actor | None, target: ImportTarget, job_id: int | None = None
) -> None:
    """Put an import's start in the audit trail: the file and its unit (and the
    console's job for it)."""
    changes = {"unit": {"before": None, "after": target.unit.id}}
    if job_id is not None:
        changes["job"] = {"before": None, "after": job_id}
    await record_change(
        connection, actor, target.company.id, "import.started", "import", target.file_name, changes
    )


async def queue_import(
    connection: Connection, company_key: str, unit_id: str, upload: Upload, actor: Actor
) -> int:
    """Queue an uploaded file for the worker, through one of the company's active units
    (`SignUpUnitNotResolved` otherwise), with its start in the audit trail; returns
    the job's id."""
    target = await find_import_target(connection, unit_id, company_key, upload.file_name)
    job = NewImportJob(
        company_id=target.company.id,
        unit_id=target.unit.id,
        operator=actor.name,
        file_name=upload.file_name[:MAX_FILE_NAME],
        stored_name=upload.stored_name,
        attribute_columns=upload.attribute_columns,
    )
    job_id = await insert_job(connection, job, utcnow())
    await record_import_start(connection, actor, target, job_id)
    return job_id


async def import_job_batch(
    connection: Connection,
    job: ImportJobRow,
    target: ImportTarget,
    batch: tuple[Sequence[ImportRow], Sequence[Refusal]],
    lease_until: datetime,
) -> BatchOutcome:
    """Import a batch of the job's rows (with the rows refused before the database),
    counting it on the job in the same unit of work."""
    rows, refused_early = batch
    outcome = await import_batch(connection, target, rows)
    refusals = sorted([*outcome.refused, *refused_early])
    lines = [row.line for row in rows] + [refusal.line for refusal in refused_early]
    progress = BatchProgress(
        rows=len(rows) + len(refused_early),
        imported=outcome.imported,
        present=outcome.present,
        refused=len(refusals),
        checkpoint_line=max(lines, default=job.checkpoint_line),
    )
    await advance_job(connection, job, progress, refusals, lease_until)
    return outcome
