"""Imports in the console: a file uploaded, run by the worker's job step, followed on its
page, its refused rows downloaded; oversize, forged and other companies' posts refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from optledger.core.audit import Actor
from optledger.core.import_jobs import Upload
from optledger.core.use_cases.import_jobs import run_import_jobs, submit_import
from optledger.settings import Settings
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.import_jobs import claim_job
from optledger.storage.tables import ImportJob, OperatorAudit, SubscriptionRecord
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.console_forms import csrf_of
from tests.support.helpers import count_rows

MAX_BYTES = 4096
LEASE = timedelta(seconds=60)
GOOD = [
    ["+19148440001", "", "2024-01-02"],
    ["+19148440002", "", "2024-01-02T10:00:00Z"],
    ["", "ann@example.com", "2024-01-03"],
]
BAD = ["914-not-a-phone", "", "2024-01-02"]


@pytest.fixture
def import_dir(tmp_path: Path) -> Path:
    return tmp_path / "imports"


@pytest.fixture
def settings(import_dir: Path) -> Settings:
    """The console's settings with a small upload limit and a folder of the test's own."""
    return Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        import_dir=import_dir,
        max_import_bytes=MAX_BYTES,
    )


def uploads_in(folder: Path) -> list[Path]:
    """The files waiting in the import folder (none before the first upload made it)."""
    return list(folder.iterdir()) if folder.exists() else []


async def assert_nothing_kept(tenant: Tenant, folder: Path) -> None:
    """A refused upload leaves no file in the import folder and no job."""
    assert uploads_in(folder) == []
    assert await count_rows(tenant.database, tenant.company_id, ImportJob) == 0


def put_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def csv_text(
    rows: list[list[str]], header: tuple[str, ...] = ("phone", "email", "opted_in_at")
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


async def upload(
    console: httpx.AsyncClient,
    unit_id: str,
    content: bytes,
    *,
    csrf: str | None = "",
    name: str = "spring list.csv",
) -> httpx.Response:
    """Post the import form as a browser does: the token first, then the fields, the file."""
    if csrf == "":
        csrf = csrf_of(await console.get("/console/imports"))
    data = {"unit_id": unit_id} if csrf is None else {"csrf": csrf, "unit_id": unit_id}
    files = {"file": (name, content, "text/csv")}
    return await console.post("/console/imports", data=data, files=files)


def job_id_of(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/console/imports/(\d+)", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def dd(page: httpx.Response, field: str) -> str:
    found = re.search(rf'<dd id="{field}"[^>]*>(.*?)</dd>', page.text, re.S)
    assert found is not None, page.text
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


async def test_an_uploaded_list_is_imported_by_the_worker(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    database = tenant.database
    job_id = job_id_of(await upload(console, tenant.unit_id("MARKETING"), csv_text([*GOOD, BAD])))
    queued = await console.get(f"/console/imports/{job_id}")
    assert queued.status_code == 200
    assert dd(queued, "state").startswith("queued")
    assert '<meta http-equiv="refresh" content="2">' in queued.text
    assert len(uploads_in(import_dir)) == 1

    assert await run_import_jobs(database, import_dir, LEASE) == 1

    done = await console.get(f"/console/imports/{job_id}")
    assert dd(done, "state") == "done"
    assert "http-equiv" not in done.text
    assert dd(done, "rows") == "4 of 4 (100%)"
    assert (dd(done, "imported"), dd(done, "present")) == ("3", "0")
    assert dd(done, "refused").startswith("1")
    active = await count_rows(database, tenant.company_id, SubscriptionRecord, status="ACTIVE")
    assert active == 3
    # The upload holds people's contact points: gone once imported.
    assert uploads_in(import_dir) == []

    report = await console.get(f"/console/imports/{job_id}/errors.csv")
    assert report.status_code == 200
    assert "attachment" in report.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(row["line"], row["value"]) for row in rows] == [("5", "914-not-a-phone")]
    assert rows[0]["reason"]

    listing = await console.get("/console/imports")
    assert "spring list.csv" in listing.text
    assert operator in listing.text
    started = await count_rows(
        database, tenant.company_id, OperatorAudit, action="import.started", actor=operator
    )
    assert started == 1

    # The same file again changes nothing: every row is already present.
    again = job_id_of(await upload(console, tenant.unit_id("MARKETING"), csv_text(GOOD)))
    await run_import_jobs(database, import_dir, LEASE)
    page = await console.get(f"/console/imports/{again}")
    assert (dd(page, "imported"), dd(page, "present")) == ("0", "3")


async def test_a_job_left_by_a_dead_worker_is_taken_up_again(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    database = tenant.database
    job_id = job_id_of(await upload(console, tenant.unit_id("MARKETING"), csv_text(GOOD)))
    now = utcnow()
    # A worker claimed it and died: its lease is over.
    claimed = await database.run(
        lambda connection: claim_job(connection, "dead-worker", now, now - timedelta(seconds=1))
    )
    assert claimed is not None
    assert claimed.id == job_id
    page = await console.get(f"/console/imports/{job_id}")
    assert dd(page, "state").startswith("running")
    assert await run_import_jobs(database, import_dir, LEASE) == 1
    page = await console.get(f"/console/imports/{job_id}")
    assert dd(page, "state") == "done"
    assert dd(page, "imported") == "3"


async def test_refusals_of_the_whole_file_come_back_with_the_form(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    no_column = await upload(console, tenant.unit_id("MARKETING"), b"phone,email\n+19148440001,\n")
    assert no_column.status_code == 400
    assert "opted_in_at" in no_column.text
    unknown = await upload(console, "999999", csv_text(GOOD))
    assert unknown.status_code == 400
    assert "999999" in unknown.text
    empty = await upload(console, tenant.unit_id("MARKETING"), b"")
    assert empty.status_code == 400
    await assert_nothing_kept(tenant, import_dir)


async def test_an_oversized_file_is_refused(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    rows = [[f"+1914844{n:04d}", "", "2024-01-02"] for n in range(400)]
    content = csv_text(rows)
    assert len(content) > MAX_BYTES
    refused = await upload(console, tenant.unit_id("MARKETING"), content)
    assert refused.status_code == 413
    assert "OPTLEDGER_MAX_IMPORT_BYTES" in refused.text
    await assert_nothing_kept(tenant, import_dir)


async def test_an_upload_needs_the_sessions_token(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    for csrf in (None, "forged"):
        refused = await upload(console, tenant.unit_id("MARKETING"), csv_text(GOOD), csrf=csrf)
        assert refused.status_code == 403
        assert "did not come from this console" in refused.text
    await assert_nothing_kept(tenant, import_dir)


async def test_another_companys_import_is_not_found(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, import_dir: Path
) -> None:
    other = await make_tenant(tenant.database)
    put_file(import_dir / "theirs.csv", csv_text(GOOD))
    theirs = await submit_import(
        tenant.database,
        other.key,
        other.unit_id("MARKETING"),
        Upload("theirs.csv", "theirs.csv", []),
        import_dir,
        actor=Actor("someone-else"),
    )
    for path in (f"/console/imports/{theirs}", f"/console/imports/{theirs}/errors.csv"):
        assert (await console.get(path)).status_code == 404
    assert "theirs.csv" not in (await console.get("/console/imports")).text


async def test_pages_need_a_session(console: httpx.AsyncClient, database: Database) -> None:
    for path in ("/console/imports", "/console/imports/1", "/console/imports/1/errors.csv"):
        response = await console.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login")
