"""Each dialect answers errors in its own shape, whether a route answered or not."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant


async def test_unknown_paths_and_refused_bodies_take_their_dialects_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    vibes = await client.get(f"/companies/{tenant.key}/no/such/route")
    assert vibes.status_code == 404
    assert set(vibes.json()) == {"errors"}
    attentive = await client.get("/v1/no/such/route")
    assert attentive.status_code == 404
    assert set(attentive.json()) == {"error"}
    big = b"{" + b" " * (1024 * 1024 + 1) + b"}"
    too_big = await client.post(
        f"/companies/{tenant.key}/mobiledb/persons",
        content=big,
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["code"] == "BODY_TOO_LARGE"
    legacy = await client.post("/1/subscribers/unsubscribe", content=big)
    assert (legacy.status_code, set(legacy.json())) == (413, {"error"})
