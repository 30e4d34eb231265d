"""Custom attributes: typed on first use, enums defined ahead, 100 per company."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from optledger.cli.main import app
from optledger.core.attributes.definitions import define_attribute
from optledger.core.attributes.values import AttributeType
from optledger.core.auth.scopes import Scope
from optledger.storage.tables import AttributeDefinition, Person, PersonAttribute
from tests.conftest import Tenant
from tests.support.helpers import (
    attribute_types,
    count_rows,
    key_with_scopes,
    stored_attributes,
    upsert_user,
)

PHONE = "+19148440001"
SEED_REFUSED: list[Any] = [["New York City"], {"favorite city": "Boston"}]


async def only_values(tenant: Tenant) -> dict[str, Any]:
    [values] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    return values


async def test_types_are_inferred_from_the_first_value(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await upsert_user(
        client,
        {"phone": PHONE},
        {
            "nickname": "Al",
            "lucky number": 6,
            "Gift card balance": 50.89,
            "VIP": True,
            "birthday party": "1986-11-16",
            "sign up": "2021-04-23T12:04:33-04:00",
            "member code": "02134",
        },
    )
    assert response.status_code == 202, response.text
    assert await attribute_types(tenant.database, tenant.company_id) == {
        "nickname": "string",
        "lucky number": "number",
        "Gift card balance": "number",
        "VIP": "boolean",
        "birthday party": "date",
        "sign up": "date",
        # A numeric string stays a string: codes keep their leading zeros.
        "member code": "string",
    }
    values = await only_values(tenant)
    assert values["sign up"] == "2021-04-23T16:04:33Z"
    assert values["member code"] == "02134"


async def test_later_values_must_fit_the_type(client: httpx.AsyncClient, tenant: Tenant) -> None:
    first = {"count": 1, "vip": False, "since": "2020-01-01", "note": "x"}
    assert (await upsert_user(client, {"phone": PHONE}, first)).status_code == 202
    converted = {"count": "25", "vip": "TRUE", "since": "2021-02-03T04:05:06Z", "note": 7}
    assert (await upsert_user(client, {"phone": PHONE}, converted)).status_code == 202
    assert await only_values(tenant) == {
        "count": 25,
        "vip": True,
        "since": "2021-02-03T04:05:06Z",
        "note": "7",
    }
    for wrong in ({"count": "many"}, {"count": True}, {"vip": "yes"}, {"since": "soon"}):
        response = await upsert_user(client, {"phone": PHONE}, {"note": "changed", **wrong})
        assert response.status_code == 400, wrong
        assert next(iter(wrong)) in response.json()["error"]["message"]
    # Refused requests change nothing, not even their valid parts.
    assert (await only_values(tenant))["note"] == "7"


async def test_names_are_case_sensitive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await upsert_user(
        client, {"phone": PHONE}, {"Favorite color": "red", "favorite color": 3}
    )
    assert response.status_code == 202
    assert await attribute_types(tenant.database, tenant.company_id) == {
        "Favorite color": "string",
        "favorite color": "number",
    }


@pytest.mark.parametrize("value", SEED_REFUSED)
async def test_seed_arrays_and_maps_are_400_and_nothing_is_written(
    client: httpx.AsyncClient, tenant: Tenant, value: Any
) -> None:
    bodies = [
        {"identifiers": {"phone": PHONE}, "attributes": {"city of choice": value, "ok": 1}},
        {"identifiers": {"phone": PHONE}, "attributes": {"custom": {"favorite": value}}},
    ]
    for body in bodies:
        response = await client.post("/v2/user/attributes", json=body)
        assert response.status_code == 400, body
        assert "single value" in response.json()["error"]["message"]
    response = await client.post(
        "/v1/attributes/custom", json={"properties": {"favorite": value}, "user": {"phone": PHONE}}
    )
    assert response.status_code == 400
    assert await count_rows(tenant.database, tenant.company_id, Person) == 0
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 0


async def test_the_101st_attribute_is_400_and_nothing_is_written(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    hundred = {f"attr {i}": i for i in range(100)}
    response = await upsert_user(client, {"phone": PHONE}, hundred)
    assert response.status_code == 202, response.text
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 100

    response = await upsert_user(
        client, {"phone": "+442071838750"}, {"firstName": "Bo", "attr 1": 5, "attr 100": 1}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "100" in message
    assert "attr 100" in message
    assert await count_rows(tenant.database, tenant.company_id, AttributeDefinition) == 100
    assert await count_rows(tenant.database, tenant.company_id, Person) == 1
    assert await count_rows(tenant.database, tenant.company_id, PersonAttribute) == 100

    # Existing attributes and standard ones still work at the limit.
    response = await upsert_user(client, {"phone": PHONE}, {"attr 7": 70, "firstName": "Al"})
    assert response.status_code == 202
    values = await only_values(tenant)
    assert (values["attr 7"], values["firstName"]) == (70, "Al")


async def define_enum(tenant: Tenant, name: str, values: list[str]) -> None:
    await tenant.database.run(
        lambda session: define_attribute(
            session, tenant.company_id, name, AttributeType.ENUM, values
        )
    )


async def test_enums_take_only_their_values_and_never_grow(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await define_enum(tenant, "Age group", ["Adult", "Teen", "Children's"])
    response = await upsert_user(client, {"phone": PHONE}, {"Age group": "Teen"})
    assert response.status_code == 202, response.text
    for wrong in ("Senior", "teen", 3):
        response = await upsert_user(client, {"phone": PHONE}, {"Age group": wrong})
        assert response.status_code == 400, wrong
        assert "'Adult'" in response.json()["error"]["message"]
    response = await client.post(
        "/v1/attributes/custom",
        json={"properties": {"Age group": "Senior"}, "user": {"phone": PHONE}},
    )
    assert response.status_code == 400
    assert await only_values(tenant) == {"Age group": "Teen"}

    async def enum_values(session: Any) -> list[str]:
        definition = await session.scalar(
            select(AttributeDefinition).where(AttributeDefinition.company_id == tenant.company_id)
        )
        return list(definition.enum_values)

    assert await tenant.database.inspect(enum_values) == ["Adult", "Teen", "Children's"]


async def test_enum_definitions_keep_their_type(tenant: Tenant) -> None:
    await define_enum(tenant, "size", ["S", "M"])
    await define_enum(tenant, "size", ["M", "L"])
    assert await attribute_types(tenant.database, tenant.company_id) == {"size": "enum"}
    with pytest.raises(Exception, match="already a enum attribute"):
        await tenant.database.run(
            lambda session: define_attribute(
                session, tenant.company_id, "size", AttributeType.STRING
            )
        )
    with pytest.raises(Exception, match="standard attribute"):
        await define_enum(tenant, "firstName", ["A"])


async def test_v1_custom_attributes(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.api_headers
    body = {
        "properties": {"age": "24", "favorite team": "Vikings", "VIP": "TRUE"},
        "user": {"phone": PHONE, "externalIdentifiers": {"clientUserId": "cu-1"}},
    }
    response = await app_client.post("/v1/attributes/custom", json=body, headers=headers)
    assert response.status_code == 200, response.text
    # "age" is the standard attribute (a number); the others are custom strings.
    assert await only_values(tenant) == {"age": 24, "favorite team": "Vikings", "VIP": "TRUE"}
    assert await attribute_types(tenant.database, tenant.company_id) == {
        "favorite team": "string",
        "VIP": "string",
    }

    known = {"properties": {"VIP": "no"}, "user": {"externalIdentifiers": {"clientUserId": "cu-1"}}}
    response = await app_client.post("/v1/attributes/custom", json=known, headers=headers)
    assert response.status_code == 200
    assert (await only_values(tenant))["VIP"] == "no"

    unknown = {"properties": {"VIP": "x"}, "user": {"externalIdentifiers": {"clientUserId": "n"}}}
    response = await app_client.post("/v1/attributes/custom", json=unknown, headers=headers)
    assert response.status_code == 404
    assert await count_rows(tenant.database, tenant.company_id, Person) == 1

    response = await app_client.post(
        "/v1/attributes/custom", json={"properties": {}, "user": {}}, headers=headers
    )
    assert response.status_code == 400
    limited = await key_with_scopes(tenant, [Scope.SUBSCRIPTIONS_WRITE])
    response = await app_client.post("/v1/attributes/custom", json=body, headers=limited)
    assert response.status_code == 403


def test_cli_defines_enums(data_dir: Path) -> None:
    runner = CliRunner()
    boot = runner.invoke(app, ["bootstrap", "--company", "shop", "--json"])
    assert boot.exit_code == 0, boot.output
    assert json.loads(boot.stdout)["company_key"] == "shop"
    define = ["attributes", "define", "Age group", "--company", "shop", "--type", "enum"]
    result = runner.invoke(app, [*define, "--value", "Adult", "--value", "Teen"])
    assert result.exit_code == 0, result.output
    assert "Age group (enum): Adult, Teen" in result.stdout
    result = runner.invoke(app, [*define[:-2], "--type", "string"])
    assert result.exit_code == 1
    result = runner.invoke(app, [*define[:4], "nope", "--type", "number"])
    assert result.exit_code == 1
