"""Import jobs: queued by the console, leased and advanced a batch at a time by the worker.

A worker claims one job at a time under a lease (a random `claim_token` until
`claimed_until`), as the outbox's queues lease their rows (`leases`): a job still
`running` whose lease ran out belongs to a worker that died, and any worker claims
it again. Every write a worker makes to its job names the token, so a worker that
lost its lease changes nothing (its batch rolls back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optledger.storage.sql import Connection, Json, Query, Row, as_json, as_time

COLUMNS = """id, company_id, unit_id, operator, file_name, stored_name, attribute_columns,
    state, failure, rows_total, rows_done, imported, present, refused, checkpoint_line,
    attempts, claim_token, created_at, started_at, finished_at"""
INSERT_JOB = Query(
    """INSERT INTO import_jobs (company_id, unit_id, operator, file_name, stored_name,
        attribute_columns, state, rows_done, imported, present, refused, checkpoint_line,
        attempts, created_at)
    VALUES (:company_id, :unit_id, :operator, :file_name, :stored_name, :attribute_columns,
        'queued', 0, 0, 0, 0, 0, 0, :now)
    RETURNING id"""
)
JOBS_OF_COMPANY = Query(
    f"""SELECT {COLUMNS} FROM import_jobs WHERE company_id = :company_id
    ORDER BY id DESC LIMIT :limit"""
)
JOB_OF_COMPANY = Query(
    f"SELECT {COLUMNS} FROM import_jobs WHERE id = :id AND company_id = :company_id"
)
_DUE = """SELECT id FROM import_jobs
    WHERE state IN ('queued', 'running') AND (claimed_until IS NULL OR claimed_until < :now)
    ORDER BY id LIMIT 1"""
CLAIM_JOB = Query(
    f"""UPDATE import_jobs SET state = 'running', claim_token = :token,
        claimed_until = :lease_until, attempts = attempts + 1,
        started_at = COALESCE(started_at, :now)
    WHERE id = ({_DUE})
    RETURNING {COLUMNS}""",
    postgresql=f"""UPDATE import_jobs SET state = 'running', claim_token = :token,
        claimed_until = :lease_until, attempts = attempts + 1,
        started_at = COALESCE(started_at, :now)
    WHERE id = ({_DUE} FOR UPDATE SKIP LOCKED)
    RETURNING {COLUMNS}""",
)
SET_TOTAL = Query(
    """UPDATE import_jobs SET rows_total = :rows_total
    WHERE id = :id AND claim_token = :token"""
)
# One batch's counts, committed with the batch; the lease runs on from here.
ADVANCE_JOB = Query(
    """UPDATE import_jobs SET rows_done = rows_done + :rows, imported = imported + :imported,
        present = present + :present, refused = refused + :refused,
        checkpoint_line = :checkpoint_line, claimed_until = :lease_until
    WHERE id = :id AND claim_token = :token"""
)
INSERT_REFUSAL = Query(
    """INSERT INTO import_refusals (job_id, line, company_id, value, reason, detail)
    VALUES (:job_id, :line, :company_id, :value, :reason, :detail)
    ON CONFLICT (job_id, line) DO NOTHING"""
)
FINISH_JOB = Query(
    """UPDATE import_jobs SET state = :state, failure = :failure, finished_at = :now,
        claim_token = NULL, claimed_until = NULL
    WHERE id = :id AND claim_token = :token"""
)
# The worker is stopping: the job is free for the next one at once, attempt unspent.
RELEASE_JOB = Query(
    """UPDATE import_jobs SET claim_token = NULL, claimed_until = NULL, attempts = attempts - 1
    WHERE id = :id AND claim_token = :token AND state = 'running'"""
)
REFUSALS_AFTER = Query(
    """SELECT line, value, reason, detail FROM import_refusals
    WHERE job_id = :job_id AND company_id = :company_id AND line > :after
    ORDER BY line LIMIT :limit"""
)


# A refused row: its line, the value at fault, the reason and the detail in words.
RefusedRow = tuple[int, str, str, str]


class LeaseLost(Exception):
    """The job's lease passed to another worker: this one's write is rolled back."""


@dataclass(frozen=True)
class NewImportJob:
    """An uploaded file to import: whose, through which unit, where it waits."""

    company_id: int
    unit_id: int
    operator: str
    file_name: str
    stored_name: str
    attribute_columns: list[str]


@dataclass(frozen=True)
class ImportJobRow(NewImportJob):
    """A job as stored, with its progress."""

    id: int
    state: str
    failure: str | None
    rows_total: int | None
    rows_done: int
    imported: int
    present: int
    refused: int
    checkpoint_line: int
    attempts: int
    claim_token: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class BatchProgress:
    """What one committed batch adds to its job, and the file line it reached."""

    rows: int
    imported: int
    present: int
    refused: int
    checkpoint_line: int


def _job(row: Row) -> ImportJobRow:
    return ImportJobRow(
        id=row["id"],
        company_id=row["company_id"],
        unit_id=row["unit_id"],
        operator=row["operator"],
        file_name=row["file_name"],
        stored_name=row["stored_name"],
        attribute_columns=list(as_json(row["attribute_columns"])),
        state=row["state"],
        failure=row["failure"],
        rows_total=row["rows_total"],
        rows_done=row["rows_done"],
        imported=row["imported"],
        present=row["present"],
        refused=row["refused"],
        checkpoint_line=row["checkpoint_line"],
        attempts=row["attempts"],
        claim_token=row["claim_token"],
        created_at=as_time(row["created_at"]),  # type: ignore[arg-type]
        started_at=as_time(row["started_at"]),
        finished_at=as_time(row["finished_at"]),
    )


async def insert_job(connection: Connection, job: NewImportJob, now: datetime) -> int:
    """Queue a job; returns its id."""
    params = {
        "company_id": job.company_id,
        "unit_id": job.unit_id,
        "operator": job.operator,
        "file_name": job.file_name,
        "stored_name": job.stored_name,
        "attribute_columns": Json(job.attribute_columns),
        "now": now,
    }
    job_id: int = await connection.fetchval(INSERT_JOB, params)
    return job_id


async def jobs_of_company(
    connection: Connection, company_id: int, limit: int
) -> list[ImportJobRow]:
    """The company's latest jobs, newest first."""
    rows = await connection.fetch(JOBS_OF_COMPANY, {"company_id": company_id, "limit": limit})
    return [_job(row) for row in rows]


async def job_of_company(
    connection: Connection, company_id: int, job_id: int
) -> ImportJobRow | None:
    """One of the company's jobs (None for another company's)."""
    row = await connection.fetchrow(JOB_OF_COMPANY, {"id": job_id, "company_id": company_id})
    return None if row is None else _job(row)


async def claim_job(
    connection: Connection, token: str, now: datetime, lease_until: datetime
) -> ImportJobRow | None:
    """Lease the oldest job waiting, or whose worker's lease ran out, counting the attempt."""
    params = {"token": token, "now": now, "lease_until": lease_until}
    row = await connection.fetchrow(CLAIM_JOB, params)
    return None if row is None else _job(row)


async def _held(connection: Connection, query: Query, params: Mapping[str, Any]) -> None:
    if await connection.execute(query, params) == 0:
        raise LeaseLost(f"import job {params['id']} is no longer this worker's")


async def set_total(connection: Connection, job: ImportJobRow, rows_total: int) -> None:
    """Say how many rows the job's file holds."""
    params = {"id": job.id, "token": job.claim_token, "rows_total": rows_total}
    await _held(connection, SET_TOTAL, params)


async def advance_job(
    connection: Connection,
    job: ImportJobRow,
    progress: BatchProgress,
    refusals: Sequence[RefusedRow],
    lease_until: datetime,
) -> None:
    """Count a batch and keep its refused rows, in the batch's unit of work."""
    params = {
        "id": job.id,
        "token": job.claim_token,
        "rows": progress.rows,
        "imported": progress.imported,
        "present": progress.present,
        "refused": progress.refused,
        "checkpoint_line": progress.checkpoint_line,
        "lease_until": lease_until,
    }
    await _held(connection, ADVANCE_JOB, params)
    if refusals:
        await connection.executemany(
            INSERT_REFUSAL,
            [
                {
                    "job_id": job.id,
                    "company_id": job.company_id,
                    "line": line,
                    "value": value,
                    "reason": reason,
                    "detail": detail,
                }
                for line, value, reason, detail in refusals
            ],
        )


async def finish_job(
    connection: Connection, job: ImportJobRow, state: str, failure: str | None, now: datetime
) -> None:
    """End the job (`done` or `failed`, with why), its lease with it."""
    params = {
        "id": job.id,
        "token": job.claim_token,
        "state": state,
        "failure": failure,
        "now": now,
    }
    await _held(connection, FINISH_JOB, params)


async def release_job(connection: Connection, job: ImportJobRow) -> None:
    """Hand the job back for the next worker, its attempt unspent."""
    await connection.execute(RELEASE_JOB, {"id": job.id, "token": job.claim_token})


async def refusals_after(
    connection: Connection, company_id: int, job_id: int, after: int, limit: int
) -> list[RefusedRow]:
    """A page of the job's refused rows past line `after`, in line order."""
    params = {"job_id": job_id, "company_id": company_id, "after": after, "limit": limit}
    rows = await connection.fetch(REFUSALS_AFTER, params)
    return [(row["line"], row["value"], row["reason"], row["detail"]) for row in rows]
