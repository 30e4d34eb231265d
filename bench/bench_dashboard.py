"""The console dashboard with 1,000,000 subscription records in one company.

For each database (a SQLite file, and a new PostgreSQL database on the server of
OPTLEDGER_TEST_POSTGRES_URL or `--postgres`), it builds a company through the
schema's own migrations and bootstrap, then bulk-loads a realistic mix in a few
statements run through the storage layer: one person and one record each (TEXT and
EMAIL, MARKETING and TRANSACTIONAL; ACTIVE, ENDED, PENDING, EXPIRED and DECLINED;
opt-ins spread over two years), one event per record, a message for every other
record (sent, dead, a few still queued) and a few webhooks. It then times
`GET /console` through the ASGI app, signed in as an operator, against the same
page of an empty company in the same run (the baseline), and each figure's
statement alone.

    python -m bench.bench_dashboard [--records 1000000] [--requests 30] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from bench.common import DEFAULT_PG, create_pg_database, drop_pg_database, percentile, print_table
from optledger.app import create_app
from optledger.bootstrap import bootstrap_company
from optledger.core.operators.accounts import add_operator, new_password_hash
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from optledger.storage.repositories import dashboard as figures
from optledger.storage.repositories.console import daily_consent_counts
from optledger.storage.repositories.ledger_verifications import last_verification
from optledger.storage.sql import Connection, Query

SECRET = "bench-dashboard-secret"
PASSWORD = "a long bench password"
TARGET_MS = 200.0

# Each person's number `n` decides everything about their record, so that both
# databases hold the same mix: lane (n % 20) the list, state (n % 100) the status,
# age (n * 7919 mod two years) when they opted in.
_LISTS = ("text_marketing", "email_marketing", "text_transactional", "email_transactional")
_LANE = (
    "CASE WHEN n % 20 < 12 THEN {} WHEN n % 20 < 17 THEN {} WHEN n % 20 < 19 THEN {} ELSE {} END"
)
_LANE = _LANE.format(*(f"CAST(:{name} AS BIGINT)" for name in _LISTS))
_STATUS = """CASE WHEN n % 100 < 68 THEN 'ACTIVE' WHEN n % 100 < 88 THEN 'ENDED'
    WHEN n % 100 < 91 THEN 'PENDING' WHEN n % 100 < 97 THEN 'EXPIRED' ELSE 'DECLINED' END"""
_AGE = "(n * 7919) % 63072000"
_RECORD_COLUMNS = """company_id, person_id, list_id, type, channel, contact_value, status,
    single_opt_in, opt_in_date, opt_out_date, opt_out_reason, disclosure_text, language,
    country, source, consented_at, created_at, updated_at"""

PERSONS = Query(
    """WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count)
    INSERT INTO persons (company_id, person_key, created_at, updated_at)
    SELECT :company_id, 'bench-' || n, :now, :now FROM g""",
    postgresql="""INSERT INTO persons (company_id, person_key, created_at, updated_at)
    SELECT :company_id, 'bench-' || n, :now, :now FROM generate_series(1, :count) n""",
)
_SQLITE_AGO = "strftime('%Y-%m-%d %H:%M:%f', :now, '-' || ({seconds}) || ' seconds')"
_PG_AGO = "(CAST(:now AS timestamptz) - ({seconds}) * interval '1 second')"


def _records(ago: str) -> str:
    opt_in = ago.format(seconds=_AGE)
    opt_out = ago.format(seconds=f"{_AGE} / 2")
    return f"""INSERT INTO subscription_records ({_RECORD_COLUMNS})
    SELECT :company_id, p.id, p.list_id, l.type, l.channel,
        CASE WHEN l.channel = 'TEXT' THEN '+1' || (2000000000 + n)
            ELSE 'u' || n || '@example.com' END,
        p.status, false,
        CASE WHEN p.status IN ('ACTIVE', 'ENDED') THEN {opt_in} END,
        CASE WHEN p.status = 'ENDED' THEN {opt_out} END,
        CASE WHEN p.status = 'ENDED' THEN 'keyword_opt_out' END,
        'Msg & data rates may apply.', 'en', 'US', 'bench', {opt_in}, {opt_in}, {opt_in}
    FROM (SELECT id, n, {_LANE} AS list_id, {_STATUS} AS status
          FROM (SELECT id, id AS n FROM persons
                WHERE company_id = :company_id AND id BETWEEN :low AND :high) q) p
    JOIN subscription_lists l ON l.id = p.list_id"""


RECORDS = Query(_records(_SQLITE_AGO), postgresql=_records(_PG_AGO))
EVENTS = Query(
    """INSERT INTO events (company_id, type, person_id, record_id, channel, contact_value,
        data, created_at)
    SELECT company_id, 'subscription_created', person_id, id, channel, contact_value, '{}',
        created_at
    FROM subscription_records
    WHERE company_id = :company_id AND person_id BETWEEN :low AND :high"""
)


def _messages(ago: str) -> str:
    created = ago.format(seconds="(n * 7919) % 31536000")
    return f"""INSERT INTO messages (company_id, person_id, channel, to_address, kind, body,
        locale, idempotency_key, status, attempts, next_attempt_at, created_at)
    SELECT :company_id, person_id, channel, contact_value, 'WELCOME', 'Welcome!', 'en-US',
        'bench-' || n,
        CASE WHEN n % 100 < 2 THEN 'dead' WHEN n % 100 < 3 THEN 'queued' ELSE 'sent' END,
        1, {created}, {created}
    FROM (SELECT id AS n, person_id, channel, contact_value FROM subscription_records
          WHERE company_id = :company_id AND person_id BETWEEN :low AND :high
            AND id % 2 = 0) r"""


MESSAGES = Query(_messages(_SQLITE_AGO), postgresql=_messages(_PG_AGO))
WEBHOOKS = Query(
    """INSERT INTO webhooks (company_id, style, url, events, signing_key, method,
        content_type, failures_in_a_row, created_at, updated_at)
    VALUES (:company_id, 'attentive', :url, '["sms.subscribed"]', 'bench', 'POST',
        'application/json', :failures, :now, :now)"""
)
LISTS = Query(
    """SELECT id, type, channel FROM subscription_lists
    WHERE company_id = :company_id AND is_default"""
)
PERSON_IDS = Query("SELECT min(id), max(id) FROM persons WHERE company_id = :company_id")
# Rows a transaction loads: the counters' triggers update a few rows again and again,
# and on PostgreSQL one transaction's versions of a row pile up until it commits.
CHUNK = 10_000
# Index-only scans need the visibility map that autovacuum keeps on a live database.
VACUUM = Query("VACUUM ANALYZE")
ANALYZE = Query("ANALYZE")


async def _load(database: Database, company_id: int, records: int) -> dict[str, float]:
    """The bulk load, statement by statement; seconds each took."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = await database.read(lambda c: c.fetch(LISTS, {"company_id": company_id}))
    lists = {f"{row['channel'].lower()}_{row['type'].lower()}": row["id"] for row in rows}
    base = {"company_id": company_id, "now": now}
    sqlite = database.url.startswith("sqlite")
    if sqlite:
        base["now"] = now.strftime("%Y-%m-%d %H:%M:%S")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    await database.run(lambda c: c.execute(PERSONS, base | {"count": records}))
    seconds["persons"] = time.perf_counter() - started
    span = await database.read(lambda c: c.fetchrow(PERSON_IDS, {"company_id": company_id}))
    assert span is not None
    lists_params = {name: lists[name] for name in _LISTS}
    for low in range(span[0], span[1] + 1, CHUNK):
        chunk = base | {"low": low, "high": low + CHUNK - 1}
        for name, query, params in (
            ("records", RECORDS, chunk | lists_params),
            ("events", EVENTS, {"company_id": company_id, "low": low, "high": low + CHUNK - 1}),
            ("messages", MESSAGES, chunk),
        ):
            started = time.perf_counter()
            await database.run(lambda c, q=query, p=params: c.execute(q, p))
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
    for n, failures in enumerate((0, 0, 3, 0)):
        params = base | {"url": f"https://hooks.example.com/{n}", "failures": failures}
        await database.run(lambda c, p=params: c.execute(WEBHOOKS, p))
    started = time.perf_counter()
    if sqlite:
        await database.run(lambda c: c.execute(ANALYZE, {}))
    else:
        async with database.connection() as connection:
            await connection.execute(VACUUM, {})
    seconds["vacuum/analyze"] = time.perf_counter() - started
    return seconds


async def _signed_in(client: httpx.AsyncClient, operator: str) -> None:
    form = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = await client.post(
        "/console/login",
        data={"csrf": csrf.group(1), "name": operator, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


async def _switch(client: httpx.AsyncClient, key: str) -> None:
    page = await client.get("/console/companies", params={"q": key})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = await client.post("/console/company", data={"csrf": csrf.group(1), "company": key})
    assert answer.status_code == 303, answer.text


async def _time(requests: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # warm: prepared statements, template, caches
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _row(name: str, latencies: list[float], target: bool = False) -> dict[str, Any]:
    p95 = percentile(latencies, 0.95)
    return {
        "measure": name,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(latencies), 1),
        "target": f"< {TARGET_MS:.0f} ms" if target else "",
        "met": ("yes" if p95 < TARGET_MS else "NO") if target else "",
    }


async def _page(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 200, response.text


def _figure_reads(company_id: int) -> dict[str, Callable[[Connection], Awaitable[Any]]]:
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=29)
    window = {"since": since, "today": today}
    return {
        "records by status": lambda c: figures.record_counts(c, company_id),
        "opt-ins": lambda c: figures.consent_changes(c, company_id, opt_ins=True, **window),
        "opt-outs": lambda c: figures.consent_changes(c, company_id, opt_ins=False, **window),
        "messages": lambda c: figures.message_counts(c, company_id, since),
        "webhooks": lambda c: figures.webhook_health(c, company_id, now),
        "last seal": lambda c: figures.last_seal(c, company_id),
        "last verification": lambda c: last_verification(c, company_id),
        "chart (30 days)": lambda c: daily_consent_counts(c, company_id, since),
    }


async def run(name: str, url: str, records: int, requests: int) -> None:
    """Build, load and measure one database."""
    await upgrade_database(url)
    database = Database(url)
    try:
        boots = [
            await database.run(
                lambda c, key=key: bootstrap_company(c, key, server_secret=SECRET, name=key)
            )
            for key in ("bench-full", "bench-empty")
        ]
        full, empty = (boot.company for boot in boots)
        hashed = new_password_hash(PASSWORD)
        await database.run(lambda c: add_operator(c, "bench", hashed, [full.key, empty.key]))
        loaded = await _load(database, full.id, records)
        print_table(
            f"{name}: load of {records:,} records",
            [{"step": step, "seconds": round(s, 1)} for step, s in loaded.items()],
        )
        rows = []
        app = create_app(Settings(secret_key=SECRET, run_worker_in_process=False), database)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _signed_in(client, "bench")
                await _switch(client, empty.key)
                baseline = await _time(requests, lambda: _page(client))
                await _switch(client, full.key)
                full_page = await _time(requests, lambda: _page(client))
        rows.append(_row("GET /console, empty company (baseline)", baseline))
        rows.append(_row(f"GET /console, {records:,} records", full_page, target=True))
        for figure, read in _figure_reads(full.id).items():
            latencies = await _time(requests, lambda read=read: database.read(read))
            rows.append(_row(f"  {figure}", latencies))
        print_table(f"{name}: dashboard, {requests} requests each", rows)
    finally:
        await database.dispose()


async def main_async(arguments: argparse.Namespace) -> None:
    """SQLite, then PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="optledger-dashboard-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await run("SQLite", url, arguments.records, arguments.requests)
    pg_url = await create_pg_database(arguments.postgres, prefix="bench_dashboard")
    try:
        await run("PostgreSQL", pg_url, arguments.records, arguments.requests)
    finally:
        await drop_pg_database(pg_url)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--postgres", default=os.environ.get("OPTLEDGER_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
