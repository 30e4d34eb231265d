"""The `optledger` command as an operator runs it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from optledger.app import create_app
from optledger.cli.main import app
from optledger.settings import Settings, get_settings
from optledger.storage.provision import create_postgres_database
from tests.conftest import postgres_admin_url


def test_bootstrap_is_idempotent_and_prints_working_credentials(data_dir: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["bootstrap", "--company", "shop", "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["bootstrap", "--company", "shop", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(first.stdout) == json.loads(again.stdout)

    printed = json.loads(first.stdout)
    assert set(printed) == {"company_key", "api_key", "legacy_token", "basic_auth", "sign_up_units"}
    assert printed["company_key"] == "shop"
    units = printed["sign_up_units"]
    assert sorted(unit["type"] for unit in units) == [
        "CHECKOUT_ABANDONED",
        "MARKETING",
        "TRANSACTIONAL",
    ]
    for unit in units:
        assert unit["channels"] == ["TEXT", "EMAIL"]
        assert unit["locale"] == {"language": "en", "country": "US"}
    assert (data_dir / "optledger.db").exists()
    assert (data_dir / "secret.key").exists()

    async def call_me() -> httpx.Response:
        application = create_app(Settings(data_dir=data_dir, run_worker_in_process=False))
        async with LifespanManager(application) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get(
                    "/v1/me", headers={"Authorization": f"Bearer {printed['api_key']}"}
                )

    response = asyncio.run(call_me())
    assert response.status_code == 200
    assert response.json()["companyId"] == "shop"


def test_bad_company_key_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["bootstrap", "--company", "Not A Key!"])
    assert result.exit_code == 1
    assert "url-safe" in result.output or "must be" in result.output


def test_migrate(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "optledger.db").exists()


@pytest.mark.postgres
def test_on_postgresql_every_host_derives_the_same_bootstrap_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secret lives with the database, not in each host's data folder."""
    url = asyncio.run(create_postgres_database(postgres_admin_url(), prefix="optledger_hosts"))
    monkeypatch.setenv("OPTLEDGER_DATABASE_URL", url)
    monkeypatch.delenv("OPTLEDGER_SECRET_KEY", raising=False)
    printed = []
    for host in ("one", "two"):
        monkeypatch.setenv("OPTLEDGER_DATA_DIR", str(tmp_path / host))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["bootstrap", "--company", "shop", "--json"])
        assert result.exit_code == 0, result.output
        printed.append(json.loads(result.stdout))
    get_settings.cache_clear()
    assert printed[0] == printed[1]
    assert not (tmp_path / "one" / "secret.key").exists()
