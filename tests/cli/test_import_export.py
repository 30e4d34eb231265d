"""`optledger import` and `optledger export`, run as the installed command.

Imported rows become ACTIVE records whatever the unit's double opt-in, send nothing,
are heard by webhooks, refuse what the ledger must refuse (erased contact points,
consent older than an opt-out, conflicting identifiers, bad values) and change
nothing when imported again. The export gives the same ledger back.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import json
import os
import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optledger.core.contact_points import normalize_email, normalize_phone
from optledger.core.errors import OptledgerError
from optledger.core.import_rows import parse_email, parse_phone
from optledger.core.spreadsheets import spreadsheet_cell
from optledger.core.webhooks.registrations import WebhookSpec, WebhookStyle, register_webhook
from optledger.storage.database import Database
from optledger.storage.tables import Event, Person, PersonAttribute, WebhookDelivery
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import (
    count_rows,
    eligibility,
    events,
    messages,
    records,
    run_optledger,
    stored_attributes,
    subscribe_active,
    subscribe_body,
    text_in,
)

HEADER = ["phone", "email", "opted_in_at", "client_user_id", "source", "tier"]
MIB = 1024 * 1024


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_file(tenant: Tenant, path: Path, *args: str) -> Any:
    unit = tenant.unit_id("MARKETING")
    return run_optledger(
        tenant.database, "import", str(path), "--unit", unit, "--company", tenant.key, *args
    )


def error_rows(path: Path) -> list[dict[str, str]]:
    with path.with_name(f"{path.stem}.errors.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


async def deliveries(tenant: Tenant) -> int:
    return await count_rows(tenant.database, tenant.company_id, WebhookDelivery)


async def event_count(tenant: Tenant) -> int:
    return await count_rows(tenant.database, tenant.company_id, Event)


async def test_good_rows_become_active_records_heard_by_webhooks_and_a_rerun_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    spec = WebhookSpec(url="https://hooks.example.com/consent", events=["sms.subscribed"])
    await tenant.database.run(
        lambda c: register_webhook(c, tenant.company_id, WebhookStyle.ATTENTIVE, spec)
    )
    source = write_csv(
        tmp_path / "list.csv",
        [
            ["+19148440101", "Ann@Example.COM", "2024-05-01T12:30:00Z", "cu-1", "checkout", "gold"],
            ["(914) 844-0102", "", "2024-05-02", "", "", "silver"],
            ["", "bob@example.com", "2024-05-03T09:00:00+02:00", "", "", ""],
            ["+19148440101", "", "2024-06-01", "", "", ""],  # the same number again
        ],
    )
    done = import_file(tenant, source, "--attribute-columns", "tier")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported 3 rows, 1 already present, 0 refused" in done.stdout
    assert not (tmp_path / "list.errors.csv").exists()

    [text] = await records(tenant.database, tenant.company_id, "+19148440101")
    [email] = await records(tenant.database, tenant.company_id, "Ann@example.com")
    # ACTIVE although the unit asks for double opt-in: the consent was given elsewhere.
    assert (text.status, text.channel, text.source) == ("ACTIVE", "TEXT", "import")
    assert text.opt_in_date == text.consented_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert (email.status, email.person_id) == ("ACTIVE", text.person_id)
    [national] = await records(tenant.database, tenant.company_id, "+19148440102")
    assert national.opt_in_date == datetime(2024, 5, 2, tzinfo=UTC)
    [bob] = await records(tenant.database, tenant.company_id, "bob@example.com")
    assert bob.opt_in_date == datetime(2024, 5, 3, 7, tzinfo=UTC)

    created = await events(tenant.database, tenant.company_id, "subscription_created")
    assert len(created) == 4
    first = next(event for event in created if event.record_id == text.id)
    assert first.topic == "subscribed"
    assert first.data["status"] == "ACTIVE"
    assert first.data["source"] == "import"
    assert (first.data["file"], first.data["line"]) == ("list.csv", 2)
    assert first.data["consent_source"] == "checkout"
    assert await messages(tenant.database, tenant.company_id) == []
    assert await deliveries(tenant) == 2  # the two TEXT subscriptions
    # A phone reaches its TEXT subscriptions only.
    assert await eligibility(client, "+19148440101") == {("MARKETING", "TEXT"): True}
    tiers = await _attributes(tenant, "tier")
    assert sorted(tiers) == ['"gold"', '"silver"']
    attribute_events = await events(tenant.database, tenant.company_id, "attributes_set")
    assert len(attribute_events) == 2

    before = (
        await event_count(tenant),
        await count_rows(tenant.database, tenant.company_id, Person),
    )
    again = import_file(tenant, source, "--attribute-columns", "tier")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "imported 0 rows, 4 already present, 0 refused" in again.stdout
    assert (
        await event_count(tenant),
        await count_rows(tenant.database, tenant.company_id, Person),
    ) == before
    assert len(await records(tenant.database, tenant.company_id, "+19148440101")) == 1
    assert await deliveries(tenant) == 2


async def _attributes(tenant: Tenant, name: str) -> list[str]:
    async def query(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(PersonAttribute).where(
                PersonAttribute.company_id == tenant.company_id, PersonAttribute.name == name
            )
        )
        return [json.dumps(row.value) for row in rows]

    return await tenant.database.inspect(query)


async def test_bad_rows_are_refused_and_listed_beside_the_file(
    tenant: Tenant, tmp_path: Path
) -> None:
    source = write_csv(
        tmp_path / "list.csv",
        [
            ["+19148440201", "", "2024-05-01T12:30:00Z", "cu-A", "", ""],
            ["+19148440202", "", "2024-05-01", "cu-B", "", ""],
            ["12", "", "2024-05-01", "", "", ""],
            ["", "not-an-email", "2024-05-01", "", "", ""],
            ["+19148440203", "", "05/01/2024", "", "", ""],
            ["+19148440204", "", "2999-01-01", "", "", ""],
            ["", "", "2024-05-01", "", "", ""],
            ["+19148440201", "", "2024-05-01", "cu-B", "", ""],  # two people's identifiers
            ["+19148440202", "", "2024-05-01", "cu-C", "", ""],  # a second client_user_id
            ["+19148440205", "", "2024-05-01", "cu-A", "", ""],  # cu-A's second number: fine
        ],
    )
    # Three rows a batch: identities are resolved across batches too.
    done = import_file(tenant, source, "--batch-size", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "imported 3 rows, 0 already present, 7 refused" in done.stdout
    refused = [(row["line"], row["value"], row["reason"]) for row in error_rows(source)]
    assert refused == [
        ("4", "12", "bad phone"),
        ("5", "not-an-email", "bad email"),
        ("6", "05/01/2024", "bad date"),
        ("7", "2999-01-01", "bad date"),
        ("8", "", "no contact point"),
        ("9", "cu-B", "conflicting identifiers"),
        ("10", "cu-C", "conflicting identifiers"),
    ]
    assert all(row["detail"] for row in error_rows(source))
    assert await records(tenant.database, tenant.company_id, "+19148440203") == []
    [second] = await records(tenant.database, tenant.company_id, "+19148440205")
    [first] = await records(tenant.database, tenant.company_id, "+19148440201")
    assert second.person_id == first.person_id


async def test_erased_and_opted_out_contact_points_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    erased, left, came_back, fresh = "+19148440301", "+19148440302", "+19148440303", "+19148440304"
    never = "+19148440305"  # texted STOP without being subscribed: acknowledged all the same
    response = await client.post("/v1/privacy/delete-request", json={"subjectPhone": erased})
    assert response.status_code == 200, response.text
    await client.post("/v1/privacy/delete-request", json={"subjectEmail": "gone@example.com"})
    for phone in (left, came_back):
        await subscribe_active(client, phone)
        assert await text_in(client, tenant.key, phone, "STOP") == "opt_out"
    assert await text_in(client, tenant.key, never, "STOP") == "opt_out"
    [ended] = await records(tenant.database, tenant.company_id, came_back)
    assert ended.opt_out_date is not None
    # Consent given after the opt-out is new consent; consent older than it is not.
    later = (ended.opt_out_date + timedelta(milliseconds=1)).isoformat()
    source = write_csv(
        tmp_path / "list.csv",
        [
            [erased, "", "2024-05-01", "", "", ""],
            [left, "", "2024-05-01", "", "", ""],
            [came_back, "", later, "", "", ""],
            [fresh, "gone@example.com", "2024-05-01", "", "", ""],
            [fresh, "", "2024-05-01", "", "", ""],
            [never, "", "2024-05-01", "", "", ""],
        ],
    )
    done = import_file(tenant, source)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "imported 2 rows, 0 already present, 4 refused" in done.stdout
    refused = [(row["line"], row["value"], row["reason"]) for row in error_rows(source)]
    assert refused == [
        ("2", erased, "suppressed"),
        ("3", left, "opted out"),
        ("5", "gone@example.com", "suppressed"),
        ("7", never, "opted out"),
    ]
    assert await records(tenant.database, tenant.company_id, never) == []
    assert await records(tenant.database, tenant.company_id, erased) == []
    assert [r.status for r in await records(tenant.database, tenant.company_id, left)] == ["ENDED"]
    assert [r.status for r in await records(tenant.database, tenant.company_id, came_back)] == [
        "ENDED",
        "ACTIVE",
    ]
    assert (await eligibility(client, left))[("MARKETING", "TEXT")] is False
    assert (await eligibility(client, came_back))[("MARKETING", "TEXT")] is True
    assert await records(tenant.database, tenant.company_id, "gone@example.com") == []


async def test_an_import_that_cannot_run_exits_2(tenant: Tenant, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "list.csv", [["+19148440401", "", "2024-05-01", "", "", ""]])
    other = await make_tenant(tenant.database)
    done = run_optledger(
        tenant.database, "import", str(source), "--unit", tenant.unit_id("MARKETING"),
        "--company", other.key,
    )  # fmt: skip
    assert done.returncode == 2
    assert "does not exist" in done.stdout
    no_dates = write_csv(tmp_path / "no_dates.csv", [["+19148440401"]], header=["phone"])
    assert import_file(tenant, no_dates).returncode == 2


async def test_rows_with_a_control_character_or_an_oversized_field_are_refused_alone(
    tenant: Tenant, tmp_path: Path
) -> None:
    big = "x" * (200 * 1024)
    source = write_csv(
        tmp_path / "list.csv",
        [
            ["+19148440421", "", "2024-05-01", "cu\x00nul", "", ""],
            ["+19148440422", "", "2024-05-01", "", "web\x01", ""],
            ["+19148440423", "", "2024-05-01", "", "", "gold\x00"],
            ["+19148440424", "", "2024-05-01", "cu\ttab", "", ""],
            ["+19148440425", "", "2024-05-01", "", "", big],
            ["+19148440426", "", "2024-05-01", "", "", big + "\nover two lines"],
            ["+19148440427", "", "2024-05-01", "", "", "a note\non two lines"],
        ],
    )
    done = import_file(tenant, source, "--attribute-columns", "tier")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "imported 1 rows, 0 already present, 6 refused" in done.stdout
    refused = [(row["line"], row["reason"], row["value"]) for row in error_rows(source)]
    assert refused == [
        ("2", "control character", "cu\\x00nul"),
        ("3", "control character", "web\\x01"),
        ("4", "control character", "gold\\x00"),
        ("5", "bad client_user_id", "cu\ttab"),
        ("6", "field too long", "x" * 80 + "..."),
        ("7", "field too long", "x" * 80 + "..."),
    ]
    [kept] = await records(tenant.database, tenant.company_id, "+19148440427")
    attributes = await stored_attributes(tenant.database, tenant.company_id)
    assert attributes[kept.person_id] == {"tier": "a note\non two lines"}
    for refused_phone in range(421, 427):
        assert await records(tenant.database, tenant.company_id, f"+19148440{refused_phone}") == []


async def test_batches_written_at_once_keep_one_person_and_one_record_per_contact(
    tenant: Tenant, tmp_path: Path
) -> None:
    """Rows of one person spread over batches in flight together (PostgreSQL; SQLite
    writes one batch at a time): they meet on the unique indexes, and a replay sorts
    them out as one after the other would."""
    rows = []
    for person in range(8):
        phone, email = f"+1914844{person:04d}", f"p{person}@example.com"
        rows += [
            [phone, "", "2024-05-01", f"cu-{person}", "", ""],
            ["", email, "2024-05-02", f"cu-{person}", "", ""],
            [phone, email, "2024-05-03", "", "", ""],
        ]
    source = write_csv(tmp_path / "list.csv", rows)
    done = import_file(tenant, source, "--batch-size", "1", "--jobs", "6")
    assert done.returncode == 0, done.stdout + done.stderr
    # Which of a person's rows opens which record depends on which batch commits first.
    assert "0 refused; 16 subscriptions and 8 people created" in done.stdout
    assert await count_rows(tenant.database, tenant.company_id, Person) == 8
    for person in range(8):
        [text] = await records(tenant.database, tenant.company_id, f"+1914844{person:04d}")
        [email] = await records(tenant.database, tenant.company_id, f"p{person}@example.com")
        assert text.person_id == email.person_id
    assert len(await events(tenant.database, tenant.company_id, "subscription_created")) == 16


def _ledger(lines: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """What must survive a round trip: each record's contact point, list and consent."""
    return {
        (r["channel"], r["contact_value"], r["subscription_type"], r["status"], r["consented_at"])
        for r in lines
        if r["kind"] == "record"
    }


async def test_export_round_trip(tenant: Tenant, tmp_path: Path) -> None:
    rows = [
        ["+19148440501", "ann@example.com", "2024-05-01T12:30:00Z", "cu-1", "web", ""],
        ["+19148440502", "", "2024-05-02T08:00:00Z", "", "", ""],
        ["", "bob@example.com", "2024-05-03T09:15:00Z", "", "kiosk", ""],
    ]
    assert import_file(tenant, write_csv(tmp_path / "list.csv", rows)).returncode == 0
    exported = tmp_path / "ledger.csv"
    done = run_optledger(
        tenant.database, "export", "--company", tenant.key, "--output", str(exported)
    )
    assert done.returncode == 0, done.stderr
    assert "exported 4 records and 4 events" in done.stderr
    with exported.open(newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert _ledger(lines) == {
        ("TEXT", "+19148440501", "MARKETING", "ACTIVE", "2024-05-01T12:30:00Z"),
        ("EMAIL", "ann@example.com", "MARKETING", "ACTIVE", "2024-05-01T12:30:00Z"),
        ("TEXT", "+19148440502", "MARKETING", "ACTIVE", "2024-05-02T08:00:00Z"),
        ("EMAIL", "bob@example.com", "MARKETING", "ACTIVE", "2024-05-03T09:15:00Z"),
    }
    assert {line["source"] for line in lines if line["kind"] == "record"} == {"import"}
    created = [line for line in lines if line["kind"] == "event"]
    assert {line["event_type"] for line in created} == {"subscription_created"}
    assert {json.loads(line["data"])["line"] for line in created} == {2, 3, 4}

    # Into another company from the export alone: the same ledger comes back.
    other = await make_tenant(tenant.database)
    back = [
        [r["contact_value"] if r["channel"] == "TEXT" else "",
         r["contact_value"] if r["channel"] == "EMAIL" else "",
         r["consented_at"], "", r["source"], ""]
        for r in lines if r["kind"] == "record"
    ]  # fmt: skip
    assert import_file(other, write_csv(tmp_path / "back.csv", back)).returncode == 0
    done = run_optledger(
        other.database, "export", "--company", other.key, "--format", "jsonl",
        "--since", "2000-01-01",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = [json.loads(line) for line in done.stdout.splitlines()]
    assert _ledger(again) == _ledger(lines)
    assert {line["company"] for line in again} == {other.key}
    assert sum(line["kind"] == "event" for line in again) == 4

    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    done = run_optledger(tenant.database, "export", "--company", tenant.key, "--since", later)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0]]  # the header alone


def read_cell(cell: str) -> str:
    """A value back from its cell, as the README says a program gets it."""
    return cell.removeprefix("'")


FORMULAS = [
    '=HYPERLINK("http://attacker.example/","click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
    "'already quoted",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote_and_comes_back(value: str) -> None:
    cell = spreadsheet_cell(value)
    assert cell == "'" + value
    assert read_cell(cell) == value


@pytest.mark.parametrize(
    "value", ["+19148440001", "-12", "3.5", "+1.25", "ann@example.com", "plain text", "", 7, None]
)
def test_numbers_and_plain_text_are_written_as_they_are(value: object) -> None:
    assert spreadsheet_cell(value) == value


async def test_the_csv_export_runs_no_formula(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    phones = ["+19148440611", "+19148440612"]
    for phone, agent in zip(phones, FORMULAS[:2], strict=True):
        answer = await client.post(
            "/v1/subscriptions",
            json=subscribe_body(phone, singleOptIn=True),
            headers={"User-Agent": agent},
        )
        assert answer.status_code == 202, answer.text
    exported = tmp_path / "ledger.csv"
    done = run_optledger(
        tenant.database, "export", "--company", tenant.key, "--output", str(exported)
    )
    assert done.returncode == 0, done.stderr
    with exported.open(newline="") as handle:
        lines = [line for line in csv.DictReader(handle) if line["kind"] == "record"]
    assert sorted(line["contact_value"] for line in lines) == phones  # numbers stay numbers
    assert sorted(line["user_agent"] for line in lines) == sorted("'" + a for a in FORMULAS[:2])
    assert sorted(read_cell(line["user_agent"]) for line in lines) == sorted(FORMULAS[:2])
    done = run_optledger(tenant.database, "export", "--company", tenant.key, "--format", "jsonl")
    agents = [json.loads(line).get("user_agent") for line in done.stdout.splitlines()]
    assert {agent for agent in agents if agent} == set(FORMULAS[:2])  # as they came


async def test_the_error_report_runs_no_formula(tenant: Tenant, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "list.csv",
        [[value, "", "2024-05-01", "", "", ""] for value in FORMULAS[:4]]
        + [["+19148440613", "", "=NOW()", "", "", ""]],
    )
    assert import_file(tenant, source).returncode == 1
    refused = error_rows(source)
    assert [row["value"] for row in refused] == ["'" + v for v in [*FORMULAS[:4], "=NOW()"]]
    assert all(not row["detail"].startswith(("=", "+", "-", "@")) for row in refused)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_fast_paths_parse_as_the_core_does(seed: int) -> None:
    """`parse_phone` and `parse_email` skip the full parse for common shapes: they must
    answer exactly as `normalize_phone` (lenient) and `normalize_email` do."""
    rng = random.Random(seed)
    digits = "0123456789"
    phones = ["+1" + "".join(rng.choice(digits) for _ in range(10)) for _ in range(300)]
    phones += ["".join(rng.choice(digits) for _ in range(10)) for _ in range(300)]
    phones += ["+12125550100", "2125550100", "+10125550100", "+44 20 7183 8750", "+1212555010"]
    locals_ = ["ann", "Ann.Lee", "a+b", "a..b", ".a", "a.", "x" * 64, "x" * 65, "a_b-c", "ça"]
    domains = ["example.com", "EXAMPLE.COM", "ex-ample.co.uk", "localhost", "a.test", "-a.com"]
    emails = [f"{local}@{domain}" for local in locals_ for domain in domains]
    emails += [
        "@example.com",
        "ann@",
        "ann",
        "a@b@example.com",
        "x" * 60 + "@" + "d" * 250 + ".com",
    ]

    def outcome(parse: Any, text: str) -> str:
        try:
            return str(parse(text))
        except OptledgerError as exc:
            return f"error: {exc.message}"

    for region in ("US", "CA", "GB"):
        fast = functools.partial(parse_phone, region=region)
        full = functools.partial(normalize_phone, lenient=True, default_region=region)
        for phone in phones:
            assert outcome(fast, phone) == outcome(full, phone), (phone, region)
    for email in emails:
        assert outcome(parse_email, email) == outcome(normalize_email, email), email


async def test_a_100_mb_file_streams_in_constant_memory(
    sqlite_database: Database, tmp_path: Path
) -> None:
    """Memory stays flat while a 100 MB file imports (SQLite).

    The whole file takes minutes on a small machine, so the import is watched for a
    fixed window once batches are committing, then interrupted: a file read whole
    would show at once (the process would hold 100 MB more), and anything kept per
    row would grow across the window's tens of thousands of rows.
    """
    tenant = await make_tenant(sqlite_database)
    source = tmp_path / "big.csv"
    with source.open("w") as handle:
        handle.write("phone,email,opted_in_at,client_user_id,source\n")
        for chunk in range(0, 1_500_000, 100_000):
            handle.write("".join(
                f"+1{212 + i // 8_000_000:03d}{2_000_000 + i % 8_000_000:07d},"
                f"person{i}@example.com,2024-05-01T12:30:00Z,cu-{i},web\n"
                for i in range(chunk, chunk + 100_000)
            ))  # fmt: skip
    assert source.stat().st_size > 100 * MIB
    env = {**os.environ, "OPTLEDGER_DATABASE_URL": sqlite_database.url}
    unit = tenant.unit_id("MARKETING")
    command = [sys.executable, "-m", "optledger", "import", str(source), "--unit", unit]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    watched = psutil.Process(process.pid)
    try:
        # Warmed up: a few batches committed, caches and buffers at their size.
        while await count_rows(sqlite_database, tenant.company_id, Person) < 6_000:
            assert process.returncode is None
            await asyncio.sleep(0.2)
        start_rows = await count_rows(sqlite_database, tenant.company_id, Person)
        start = watched.memory_info().rss
        samples = []
        for _ in range(75):  # 15 s
            samples.append(watched.memory_info().rss)
            await asyncio.sleep(0.2)
        rows = await count_rows(sqlite_database, tenant.company_id, Person) - start_rows
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    print(f"watched {rows:,} rows: RSS {start / MIB:.0f} -> {max(samples) / MIB:.0f} MiB")
    assert process.returncode == 130, out
    assert b"interrupted" in out
    assert rows >= 10_000
    assert max(samples) < 200 * MIB
    assert max(samples) - start < 20 * MIB
