"""The OpenAPI document and the routes agree, and each dialect has its own tags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from optledger.app import create_app
from optledger.core.contact_points import MAX_EMAIL_LENGTH
from optledger.core.people import MAX_IDENTIFIER_LENGTH
from optledger.settings import Settings
from tests.conftest import Tenant
from tests.support.openapi import api_routes, documented

# Each dialect's routes carry its own tags, by path prefix.
DIALECT_TAGS = {
    "/v1/messages": {"Messages"},
    "/v1/": {"Subscribers", "Me", "User Attributes", "Custom Attributes", "Identity",
             "Privacy Request", "Webhooks"},
    "/v2/": {"User Properties"},
    "/1/": {"Legacy"},
    "/inbound/": {"Inbound SMS"},
    "/companies/": {"Vibes subscriptions", "Vibes lists", "Vibes persons", "Vibes campaigns",
                    "Vibes callbacks"},
    "/manage/": {"Manage companies", "Manage lists", "Manage sign-up units", "Manage templates",
                 "Manage credentials", "Manage unsubscribe links"},
}  # fmt: skip


def served() -> set[tuple[str, str]]:
    app = create_app(Settings(run_worker_in_process=False))
    return {
        (method, path)
        for path, route in api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods - {"HEAD"}
    }


def test_every_route_is_documented_and_every_documented_route_is_served() -> None:
    assert set(documented()) == served()


def test_each_dialect_has_its_own_tags() -> None:
    for (method, path), tags in documented().items():
        prefix = next(p for p in DIALECT_TAGS if path.startswith(p))
        assert tags, (method, path)
        assert set(tags) <= DIALECT_TAGS[prefix], (method, path, tags)


async def test_documented_routes_answer_and_are_not_missing(
    app_client: httpx.AsyncClient,
) -> None:
    for method, path in documented():
        url = path.replace("{company_key}", "nobody").replace("{", "").replace("}", "")
        response = await app_client.request(method, url)
        # Unauthenticated, each answers in its own way (401, 403, 400...), never with
        # the router's "no such route".
        assert (
            response.status_code not in (404, 405)
            or "errors" in response.json()
            or (response.json()["error"]["message"] != "Not Found")
        ), (method, url, response.text)


def spec() -> dict[str, Any]:
    return create_app(Settings(run_worker_in_process=False)).openapi()


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, by_method in spec()["paths"].items():
        for method, operation in by_method.items():
            yield method, path, operation


WRITES = ("post", "put", "delete")
# Each dialect's error shape and credential, by path prefix (the operator's log is
# under /v1/, in the Attentive shape); the Twilio route has no credential.
DIALECTS = {
    "/inbound/twilio/": ("AttentiveError", None),
    "/inbound/": ("AttentiveError", "apiKey"),
    "/v1/": ("AttentiveError", "apiKey"),
    "/v2/": ("AttentiveError", "apiKey"),
    "/1/": ("AttentiveError", "legacyToken"),
    "/companies/": ("VibesError", "basicLogin"),
    "/manage/": ("ManageError", "operatorToken"),
}


def test_errors_are_documented_in_their_dialects_shape_and_never_as_fastapis() -> None:
    assert "HTTPValidationError" not in json.dumps(spec())
    for method, path, operation in operations():
        shape, _ = next(DIALECTS[p] for p in DIALECTS if path.startswith(p))
        parameters = operation.get("parameters", [])
        expected = {503}
        if parameters or "requestBody" in operation:
            expected.add(400)
        if "requestBody" in operation:
            expected.add(413)
        if method in WRITES and operation.get("security"):
            expected |= {409, 422}  # an Idempotency-Key in use, or reused
        if any(p["in"] == "path" and p["name"] != "company_key" for p in parameters):
            expected.add(404)
        assert expected <= {int(status) for status in operation["responses"]}, (method, path)
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": f"#/components/schemas/{shape}"}, (method, path)


def test_each_operation_names_its_dialects_credential() -> None:
    schemes = spec()["components"]["securitySchemes"]
    assert {name: scheme["scheme"] for name, scheme in schemes.items()} == {
        "apiKey": "bearer",
        "legacyToken": "bearer",
        "basicLogin": "basic",
        "operatorToken": "bearer",
    }
    for method, path, operation in operations():
        _, scheme = next(DIALECTS[p] for p in DIALECTS if path.startswith(p))
        assert operation.get("security") == ([{scheme: []}] if scheme else None), (method, path)
        statuses = set(operation["responses"])
        assert ({"401", "429"} <= statuses) == (scheme is not None), (method, path)
        if scheme is not None:
            assert "Retry-After" in operation["responses"]["429"]["headers"]
            for response in operation["responses"].values():
                assert {"x-ratelimit-limit", "x-ratelimit-remaining"} <= set(response["headers"])


def test_writes_with_credentials_take_an_idempotency_key() -> None:
    for method, path, operation in operations():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        keyed = method in WRITES and bool(operation.get("security"))
        assert ("Idempotency-Key" in names) == keyed, path


def test_the_twilio_route_is_documented_as_a_signed_form_answered_with_xml() -> None:
    operation = spec()["paths"]["/inbound/twilio/{company_key}"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert set(operation["responses"]["200"]["content"]) == {"application/xml"}
    signature = next(p for p in operation["parameters"] if p["name"] == "X-Twilio-Signature")
    assert signature["required"]
    assert "403" in operation["responses"]


async def test_every_response_carries_the_headers_its_operation_documents(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    me = await client.get("/v1/me")
    assert me.status_code == 200
    assert int(me.headers["x-ratelimit-limit"]) >= int(me.headers["x-ratelimit-remaining"]) >= 0
    assert me.headers["x-request-id"]
    refused = await client.get(f"/companies/{tenant.key}/mobiledb/subscription_lists")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert set(refused.json()) == {"errors"}


async def test_a_405_allows_every_method_its_path_serves(app_client: httpx.AsyncClient) -> None:
    for path, by_method in spec()["paths"].items():
        url = path.replace("{company_key}", "nobody").replace("{", "").replace("}", "")
        unserved = next(m for m in ("patch", "post", "put", "delete") if m not in by_method)
        response = await app_client.request(unserved.upper(), url)
        assert response.status_code == 405, path
        allowed = {method.strip().lower() for method in response.headers["allow"].split(",")}
        assert allowed - {"head"} == set(by_method), path


def _request_strings(document: dict[str, Any]) -> Iterator[tuple[str, int | None]]:
    """(name, maxLength) of every string a request may send: query parameters and
    the properties of request bodies, through their references."""
    schemas = document["components"]["schemas"]

    def strings(schema: dict[str, Any], name: str, seen: frozenset[str]) -> Iterator[Any]:
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        if ref:
            if ref not in seen:
                yield from strings(schemas[ref], name, seen | {ref})
            return
        if schema.get("type") == "string":
            yield name, schema.get("maxLength")
        for option in schema.get("anyOf", []):
            yield from strings(option, name, seen)
        if "items" in schema:
            yield from strings(schema["items"], name, seen)
        for prop, inner in schema.get("properties", {}).items():
            yield from strings(inner, prop, seen)

    for _, _, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                yield from strings(parameter["schema"], parameter["name"], frozenset())
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield from strings(media["schema"], "", frozenset())


def test_the_document_and_the_readme_state_the_limits_the_core_enforces() -> None:
    sent = list(_request_strings(spec()))
    emails = {limit for name, limit in sent if "email" in name.lower() or name == "addresses"}
    assert emails == {MAX_EMAIL_LENGTH}
    identifiers = {
        limit for name, limit in sent if name in ("clientUserId", "shopifyId", "klaviyoId")
    }
    assert identifiers == {MAX_IDENTIFIER_LENGTH}
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"emails at most {MAX_EMAIL_LENGTH} characters" in readme
    assert f"other identifiers at most {MAX_IDENTIFIER_LENGTH} characters" in readme
