"""Rate limits per credential: headers on every dialect answer, 429 past the limit."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import IssuedCredential, new_secret_pair, store_credential
from optledger.web.rate_limits import RateLimiter
from tests.conftest import Tenant
from tests.support.helpers import basic, run_optledger, subscribe_body

PHONE = "+19148440151"


async def limited(tenant: Tenant, kind: CredentialKind, per_second: int) -> IssuedCredential:
    """A new credential of the tenant's company allowed `per_second` requests."""
    issued = new_secret_pair(kind)
    await tenant.database.run(
        lambda connection: store_credential(
            connection,
            tenant.company_id,
            issued,
            name=issued.lookup_id,
            scopes=["subscriptions:write"] if kind == CredentialKind.API_KEY else [],
            rate_limit=per_second,
        )
    )
    return issued


def test_a_bucket_allows_a_burst_of_its_rate_then_refills() -> None:
    limiter = RateLimiter()
    decisions = [limiter.take(1, 3) for _ in range(4)]
    assert [d.admitted for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert 0 < decisions[3].retry_after <= 1 / 3
    # Another credential has a bucket of its own.
    assert limiter.take(2, 3).admitted


def test_each_of_several_processes_keeps_its_share() -> None:
    limiter = RateLimiter(processes=2)
    admitted = [limiter.take(1, 10).admitted for _ in range(10)]
    assert admitted.count(True) == 5


async def test_attentive_answers_carry_the_limit_and_refuse_past_it(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    issued = await limited(tenant, CredentialKind.API_KEY, 3)
    headers = {"Authorization": f"Bearer {issued.token}"}
    answers = [
        await app_client.post("/v1/subscriptions", json=subscribe_body(PHONE), headers=headers),
        # The second and third eligibility checks are answered by the lane.
        *[
            await app_client.get("/v1/subscriptions", params={"phone": PHONE}, headers=headers)
            for _ in range(3)
        ],
    ]
    assert [a.status_code for a in answers] == [202, 200, 200, 429]
    assert [a.headers["x-ratelimit-limit"] for a in answers] == ["3"] * 4
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert set(refused.json()) == {"error"}
    assert int(refused.headers["retry-after"]) >= 1
    # A refused subscribe writes nothing.
    again = await app_client.post(
        "/v1/subscriptions", json=subscribe_body("+19148440152"), headers=headers
    )
    assert again.status_code == 429
    check = await app_client.get(
        "/v1/subscriptions", params={"phone": "+19148440152"}, headers=tenant.api_headers
    )
    assert check.status_code == 404


async def test_vibes_and_legacy_refuse_in_their_own_shapes(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    login = await limited(tenant, CredentialKind.BASIC, 1)
    vibes = basic(login.lookup_id, login.secret)
    url = f"/companies/{tenant.key}/mobiledb/persons/nobody"
    first, second = [await app_client.get(url, headers=vibes) for _ in range(2)]
    assert (first.status_code, second.status_code) == (404, 429)
    assert first.headers["x-ratelimit-limit"] == "1"
    assert second.json()["errors"][0]["code"] == "RATE_LIMITED"

    token = await limited(tenant, CredentialKind.LEGACY_TOKEN, 1)
    legacy = {"Authorization": f"Bearer {token.token}"}
    body = {"phone": PHONE, "sendOptOutMessage": False}
    answers = [
        await app_client.post("/1/subscribers/unsubscribe", json=body, headers=legacy)
        for _ in range(2)
    ]
    assert answers[1].status_code == 429
    assert "retry-after" in answers[1].headers


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_cli_creates_lists_and_revokes_with_a_rate_limit(tenant: Tenant) -> None:
    def optledger(*args: str) -> subprocess.CompletedProcess[str]:
        return run_optledger(tenant.database, *args)

    made = optledger(
        "credentials", "create", "--company", tenant.key, "--kind", "api_key",
        "--scope", "subscriptions:write", "--rate-limit", "7", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    created = json.loads(made.stdout)
    assert created["rate_limit"] == 7
    assert created["token"].startswith("olk_")
    listed = optledger("credentials", "list", "--company", tenant.key, "--json")
    rows = json.loads(listed.stdout)
    mine = next(row for row in rows if str(row["id"]) == created["id"])
    assert mine["rate_limit"] == 7
    assert not {"token", "secret_hash"} & set(mine)
    assert optledger("credentials", "revoke", created["id"]).returncode == 0
    after = optledger("credentials", "list", "--company", tenant.key, "--json").stdout
    assert created["id"] not in [str(row["id"]) for row in json.loads(after)]
