"""Export in the console: the download is what `optledger export` writes for the same data,
recorded in the audit trail; a bad format or date is the console's 400 page."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.tables import OperatorAudit
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import (
    count_rows,
    run_optledger,
    subscribe_active,
)


@pytest.mark.parametrize("export_format", ["csv", "jsonl"])
async def test_the_download_is_the_commands_export(
    tenant: Tenant,
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    operator: str,
    export_format: str,
) -> None:
    for phone in ("+19148440001", "+19148440002"):
        assert (await subscribe_active(client, phone)).status_code == 202
    ended = await client.post(
        "/v1/subscriptions/unsubscribe", json={"user": {"phone": "+19148440002"}}
    )
    assert ended.status_code == 202
    page = await console.get("/console/export")
    assert page.status_code == 200
    assert 'name="format"' in page.text

    download = await console.get(f"/console/export?format={export_format}")
    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="optledger-{tenant.key}-ledger.{export_format}"'
    command = run_optledger(
        tenant.database, "export", "--company", tenant.key, "--format", export_format
    )
    assert command.returncode == 0, command.stderr
    assert download.text == command.stdout
    assert "+19148440001" in download.text

    since = await console.get(f"/console/export?format={export_format}&since=2999-01-01")
    later = run_optledger(
        tenant.database, "export", "--company", tenant.key, "--format", export_format,
        "--since", "2999-01-01",
    )  # fmt: skip
    assert since.text == later.stdout
    assert "since-29990101" in since.headers["content-disposition"]
    downloads = await count_rows(
        tenant.database, tenant.company_id, OperatorAudit, action="export.downloaded",
        actor=operator,
    )  # fmt: skip
    assert downloads == 2


async def test_a_bad_format_or_date_is_a_400_page(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    for query in ("format=xml", "format=csv&since=yesterday"):
        refused = await console.get(f"/console/export?{query}")
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("text/html")
    assert await count_rows(tenant.database, tenant.company_id, OperatorAudit) == 0


async def test_the_export_is_the_operators_company_only(
    tenant: Tenant, app_client: httpx.AsyncClient, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database)
    app_client.headers.update(other.api_headers)
    assert (await subscribe_active(app_client, "+19148449999")).status_code == 202
    download = await console.get("/console/export?format=jsonl")
    assert download.status_code == 200
    assert "+19148449999" not in download.text
    assert other.key not in download.text
