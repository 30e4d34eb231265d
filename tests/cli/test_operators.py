"""`optledger operator`, run as the installed program: operators, their passwords, the
companies they see and their management API tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from optledger.core.errors import Unauthorized
from optledger.core.operators.sign_in import sign_in
from optledger.storage.database import Database
from tests.conftest import Tenant, make_tenant
from tests.support import cli_fixtures
from tests.support.cli_fixtures import CACHE_SECONDS
from tests.support.helpers import run_optledger

# Run once, on SQLite, beside a server with a short credential cache.
database = cli_fixtures.database
settings = cli_fixtures.settings


def with_stdin(database: Database, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`optledger ARGS` with `text` on its standard input."""
    env = {**os.environ, "OPTLEDGER_DATABASE_URL": database.url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "optledger", *args],
        env=env,
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )


def new_name() -> str:
    return f"Op-{uuid.uuid4().hex[:10]}"


def printed_password(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith("password: "))[10:]


async def test_add_prints_a_password_once_and_it_signs_in(database: Database) -> None:
    name = new_name()
    added = run_optledger(database, "operator", "add", name)
    password = printed_password(added)
    assert len(password) >= 20
    assert "not shown again" in added.stdout
    assert (await sign_in(database, name, password, None)).name == name.lower()
    again = run_optledger(database, "operator", "add", name.lower())
    assert again.returncode == 1
    assert "already called" in again.stdout

    reset = with_stdin(database, "a new passphrase, long enough\n", "operator", "reset-password",
                       name, "--password-stdin")  # fmt: skip
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "password:" not in reset.stdout
    with pytest.raises(Unauthorized):
        await sign_in(database, name, password, None)
    await sign_in(database, name, "a new passphrase, long enough", None)


async def test_a_password_from_stdin_must_be_long_enough(database: Database) -> None:
    name = new_name()
    short = with_stdin(database, "short\n", "operator", "add", name, "--password-stdin")
    assert short.returncode == 1
    assert "at least 12" in short.stdout
    added = with_stdin(
        database, "twelve chars or more\n", "operator", "add", name, "--password-stdin"
    )
    assert added.returncode == 0, added.stdout + added.stderr
    assert "password:" not in added.stdout
    await sign_in(database, name, "twelve chars or more", None)


async def test_a_token_opens_the_companies_its_operator_sees_until_revoked(
    app_client: httpx.AsyncClient, tenant: Tenant, database: Database
) -> None:
    other = await make_tenant(database)
    name = new_name().lower()
    added = run_optledger(database, "operator", "add", name, "--company", tenant.key)
    assert added.returncode == 0, added.stdout + added.stderr
    minted = run_optledger(database, "operator", "token", name, "--name", "laptop", "--json")
    assert minted.returncode == 0, minted.stdout + minted.stderr
    token = json.loads(minted.stdout)
    assert token["name"] == "laptop"
    headers = {"Authorization": f"Bearer {token['token']}"}

    async def status(key: str) -> int:
        response = await app_client.get(f"/manage/v1/companies/{key}", headers=headers)
        return response.status_code

    assert (await status(tenant.key), await status(other.key)) == (200, 403)
    listed = run_optledger(database, "operator", "list", "--json")
    mine = next(row for row in json.loads(listed.stdout) if row["name"] == name)
    assert (mine["all_companies"], mine["companies"]) == (False, [tenant.key])

    every = run_optledger(database, "operator", "access", name, "--all")
    assert every.returncode == 0, every.stdout + every.stderr
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert await status(other.key) == 200

    tokens = run_optledger(database, "operator", "tokens", name)
    assert token["lookup_id"] in tokens.stdout
    assert token["token"] not in tokens.stdout
    listed_tokens = json.loads(run_optledger(database, "operator", "tokens", name, "--json").stdout)
    assert [(row["lookup_id"], row["name"]) for row in listed_tokens] == [
        (token["lookup_id"], "laptop")
    ]
    revoked = run_optledger(database, "operator", "revoke-token", token["lookup_id"])
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert await status(tenant.key) == 401


async def test_a_removed_operators_tokens_stop_working(
    app_client: httpx.AsyncClient, database: Database
) -> None:
    name = new_name()
    assert run_optledger(database, "operator", "add", name).returncode == 0
    token = run_optledger(database, "operator", "token", name)
    assert token.returncode == 0, token.stdout + token.stderr
    bearer = next(line for line in token.stdout.splitlines() if "olo_" in line).split()[-1]
    headers = {"Authorization": f"Bearer {bearer}"}
    assert (await app_client.get("/manage/v1/me", headers=headers)).status_code == 200
    removed = run_optledger(database, "operator", "remove", name)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    await asyncio.sleep(CACHE_SECONDS + 0.05)
    assert (await app_client.get("/manage/v1/me", headers=headers)).status_code == 401
    listed = run_optledger(database, "operator", "list")
    assert name.lower() not in listed.stdout
    assert run_optledger(database, "operator", "remove", name).returncode == 1
