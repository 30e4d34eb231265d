"""`optledger audience filter`: only eligible contacts come out, the rest is counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import Tenant
from tests.support.helpers import subscribe, subscribe_active

ACTIVE = "+19148440061"
ENDED = "+19148440062"
PENDING = "+19148440063"
TRANSACTIONAL_ONLY = "+19148440064"
EMAIL = "audience@example.com"


def audience_filter(
    tenant: Tenant, *args: str, company: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPTLEDGER_DATABASE_URL": tenant.database.url, "COLUMNS": "200"}
    key = company or tenant.key
    return subprocess.run(
        [sys.executable, "-m", "optledger", "audience", "filter", *args, "--company", key],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def given_an_audience(client: httpx.AsyncClient) -> None:
    await subscribe_active(client, ACTIVE, EMAIL)
    await subscribe_active(client, ENDED)
    await client.post("/v1/subscriptions/unsubscribe", json={"user": {"phone": ENDED}})
    await subscribe(client, PENDING)
    await subscribe_active(client, TRANSACTIONAL_ONLY, sub_type="TRANSACTIONAL")


async def test_keeps_only_the_eligible_and_counts_the_rest(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    await given_an_audience(client)
    lines = [
        "(914) 844-0061",
        ENDED,
        PENDING,
        TRANSACTIONAL_ONLY,
        "not a number",
        f"  {EMAIL}  ",
        "+442071838750",
        "",
    ]
    source = tmp_path / "audience.txt"
    source.write_text("\n".join(lines) + "\n")
    result = audience_filter(tenant, str(source))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [ACTIVE, EMAIL]
    assert "read 7" in result.stderr
    assert "eligible 2" in result.stderr
    assert "skipped as invalid 1" in result.stderr

    texts = audience_filter(tenant, str(source), "--channel", "TEXT", "--type", "TRANSACTIONAL")
    assert texts.stdout.splitlines() == [TRANSACTIONAL_ONLY]


async def test_reads_a_csv_column_into_a_file(
    client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    await given_an_audience(client)
    source = tmp_path / "audience.csv"
    source.write_text(f"name,mobile\nA,{ACTIVE}\nB,{ENDED}\nC,\n")
    output = tmp_path / "eligible.txt"
    result = audience_filter(tenant, str(source), "--column", "mobile", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_text().splitlines() == [ACTIVE]
    missing = audience_filter(tenant, str(source), "--column", "phone")
    assert missing.returncode != 0
    assert "phone" in missing.stderr


async def test_an_unknown_company_is_an_error(tenant: Tenant, tmp_path: Path) -> None:
    source = tmp_path / "audience.txt"
    source.write_text(f"{ACTIVE}\n")
    result = audience_filter(tenant, str(source), company="nope")
    assert result.returncode == 1
    assert "nope" in result.stderr
