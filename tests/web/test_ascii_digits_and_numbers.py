"""Digits are ASCII everywhere, and number attributes have a documented range."""

from __future__ import annotations

import httpx
import pytest

from optledger.storage.tables import Person
from tests.conftest import Tenant
from tests.support.helpers import count_rows, subscribe

PHONE = "+19148440121"


@pytest.mark.parametrize("request_id", ["%C2%B2", "%EF%BC%91", "1%C2%B2"])
async def test_a_privacy_request_id_of_other_digits_is_404(
    client: httpx.AsyncClient, request_id: str
) -> None:
    response = await client.get(f"/v1/privacy/delete-request/{request_id}")
    assert response.status_code == 404


@pytest.mark.parametrize("unit_id", ["\u00b2", "\uff11", "1\u00b2"])
async def test_a_unit_id_of_other_digits_does_not_exist(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: str
) -> None:
    response = await subscribe(client, PHONE, unit_id=unit_id)
    assert response.status_code == 400
    assert "does not exist" in response.json()["error"]["message"]


@pytest.mark.parametrize("phone", ["+1914844012\uff11", "+\uff119148440121", "+1914844012\u0663"])
async def test_a_phone_with_other_digits_is_refused_not_folded(
    client: httpx.AsyncClient, tenant: Tenant, phone: str
) -> None:
    response = await subscribe(client, phone)
    assert response.status_code == 400
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0


@pytest.mark.parametrize(
    "value",
    [
        "1" * 4301,
        "1" * 400 + ".5",
        "1" * 16,
        "0." + "1" * 16,
        10**15,
        -(10**15),
        "\uff11\uff12",
    ],
)
async def test_numbers_beyond_the_range_are_400(client: httpx.AsyncClient, value: object) -> None:
    first = await client.post(
        "/v1/attributes/custom", json={"properties": {"points": 7}, "user": {"phone": PHONE}}
    )
    assert first.status_code == 200, first.text
    response = await client.post(
        "/v1/attributes/custom", json={"properties": {"points": value}, "user": {"phone": PHONE}}
    )
    assert response.status_code == 400, response.text
    assert "number" in response.json()["error"]["message"]


@pytest.mark.parametrize("value", ["999999999999999", "-12.5", 123456789012345, 0.25])
async def test_numbers_within_the_range_are_kept(client: httpx.AsyncClient, value: object) -> None:
    first = await client.post(
        "/v1/attributes/custom", json={"properties": {"points": 7}, "user": {"phone": PHONE}}
    )
    assert first.status_code == 200, first.text
    response = await client.post(
        "/v1/attributes/custom", json={"properties": {"points": value}, "user": {"phone": PHONE}}
    )
    assert response.status_code == 200, response.text
