"""The management API's company routes as requests about one company's objects, and
the objects they name: shared by the isolation, control-character and log tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Tenant

COMPANY = "/manage/v1/companies/{key}"
DISCLOSURE = "Up to 4 msgs/week. Reply STOP to cancel."

# Each company route as a request about one company's objects (`{key}`: its key,
# `{unit}`, `{list}`, `{credential}`: one of each it holds).
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("GET", "/manage/v1/companies/{company_key}"): (COMPANY, None),
    ("GET", "/manage/v1/companies/{company_key}/units"): (f"{COMPANY}/units", None),
    ("POST", "/manage/v1/companies/{company_key}/units"): (
        f"{COMPANY}/units",
        {
            "name": "Matrix unit",
            "type": "TRANSACTIONAL",
            "channels": ["TEXT"],
            "locale": {"language": "en", "country": "GB"},
        },
    ),
    ("GET", "/manage/v1/companies/{company_key}/units/{unit_id}"): (
        f"{COMPANY}/units/{{unit}}",
        None,
    ),
    ("PATCH", "/manage/v1/companies/{company_key}/units/{unit_id}"): (
        f"{COMPANY}/units/{{unit}}",
        {"legal_disclosure": "Changed. Reply STOP to cancel."},
    ),
    ("POST", "/manage/v1/companies/{company_key}/units/{unit_id}/archive"): (
        f"{COMPANY}/units/{{unit}}/archive",
        None,
    ),
    ("GET", "/manage/v1/companies/{company_key}/lists"): (f"{COMPANY}/lists", None),
    ("POST", "/manage/v1/companies/{company_key}/lists"): (
        f"{COMPANY}/lists",
        {"name": "VIP", "type": "MARKETING", "channel": "TEXT"},
    ),
    ("GET", "/manage/v1/companies/{company_key}/lists/{list_id}"): (
        f"{COMPANY}/lists/{{list}}",
        None,
    ),
    ("PATCH", "/manage/v1/companies/{company_key}/lists/{list_id}"): (
        f"{COMPANY}/lists/{{list}}",
        {"name": "Renamed"},
    ),
    ("POST", "/manage/v1/companies/{company_key}/lists/{list_id}/archive"): (
        f"{COMPANY}/lists/{{list}}/archive",
        None,
    ),
    ("GET", "/manage/v1/companies/{company_key}/templates"): (f"{COMPANY}/templates", None),
    ("PUT", "/manage/v1/companies/{company_key}/templates/{locale}/{kind}"): (
        f"{COMPANY}/templates/en-US/HELP",
        {"text": "{company}: text STOP to stop."},
    ),
    ("DELETE", "/manage/v1/companies/{company_key}/templates/{locale}/{kind}"): (
        f"{COMPANY}/templates/en-US/WELCOME",
        None,
    ),
    ("GET", "/manage/v1/companies/{company_key}/credentials"): (f"{COMPANY}/credentials", None),
    ("POST", "/manage/v1/companies/{company_key}/credentials"): (
        f"{COMPANY}/credentials",
        {"kind": "api_key", "scopes": ["messages:read"]},
    ),
    ("POST", "/manage/v1/companies/{company_key}/credentials/{credential}/revoke"): (
        f"{COMPANY}/credentials/{{credential}}/revoke",
        None,
    ),
    ("POST", "/manage/v1/companies/{company_key}/unsubscribe-links"): (
        f"{COMPANY}/unsubscribe-links",
        {"addresses": ["Ann.Lee@Example.com"]},
    ),
}
# Routes that name no company.
UNSCOPED = {
    ("GET", "/manage/v1/me"),
    ("GET", "/manage/v1/companies"),
    ("POST", "/manage/v1/companies"),
}


def unit_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Spring promo",
        "type": "MARKETING",
        "channels": ["TEXT"],
        "locale": {"language": "en", "country": "US"},
        "legal_disclosure": DISCLOSURE,
        "allow_single_opt_in": True,
        **overrides,
    }


async def objects_of(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """One unit, one list and one credential of the tenant (made by the API), by name."""
    base = COMPANY.format(key=tenant.key)
    unit = await client.post(f"{base}/units", json=unit_body(name="Isolation unit"))
    made_list = await client.post(
        f"{base}/lists", json={"name": "Own list", "type": "MARKETING", "channel": "EMAIL"}
    )
    credential = await client.post(f"{base}/credentials", json={"kind": "legacy_token"})
    for response in (unit, made_list, credential):
        assert response.status_code == 201, response.text
    return {
        "key": tenant.key,
        "unit": unit.json()["id"],
        "list": made_list.json()["id"],
        "credential": credential.json()["id"],
    }
