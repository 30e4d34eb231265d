"""The console's "Download proof": the subscriber page links each contact point's proof
of consent, served as an attachment for the operator's company only."""

from __future__ import annotations

import re

import httpx

from optledger.core.ledger.keys import load_public_key_pem
from optledger.core.ledger.proofs import check_proof
from optledger.core.use_cases.ledger import ledger_public_key
from tests.conftest import Tenant, make_tenant
from tests.support.helpers import subscribe_active, subscribe_body

PHONE = "+19145550188"


async def test_the_subscriber_page_downloads_a_proof_that_holds(
    tenant: Tenant, client: httpx.AsyncClient, console: httpx.AsyncClient, operator: str
) -> None:
    assert (await subscribe_active(client, PHONE)).status_code == 202
    found = await console.get("/console/subscribers", params={"q": PHONE})
    page = await console.get(found.headers["location"])
    link = re.search(
        r'href="(/console/subscribers/proof\?contact=[^"]+)"[^>]*>Download proof', page.text
    )
    assert link is not None, page.text

    download = await console.get(link.group(1).replace("&amp;", "&"))

    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert download.headers["cache-control"] == "no-store"
    document = download.json()
    assert (document["company"], document["contact_point"]) == (tenant.key, PHONE)
    public = load_public_key_pem(await ledger_public_key(tenant.database))
    check = check_proof(document, public)
    assert check.ok, check.problems
    assert any(PHONE in line and "opted in on" in line for line in check.statements)


async def test_another_companys_contact_point_is_not_found(
    tenant: Tenant, app_client: httpx.AsyncClient, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database)
    answer = await app_client.post(
        "/v1/subscriptions",
        json=subscribe_body(PHONE, singleOptIn=True),
        headers=other.api_headers,
    )
    assert answer.status_code == 202, answer.text
    download = await console.get("/console/subscribers/proof", params={"contact": PHONE})
    assert download.status_code == 404
    assert "attachment" not in download.headers.get("content-disposition", "")


async def test_a_proof_download_needs_a_session(console: httpx.AsyncClient) -> None:
    download = await console.get("/console/subscribers/proof", params={"contact": PHONE})
    assert download.status_code in (303, 401)
