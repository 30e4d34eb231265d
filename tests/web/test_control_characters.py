"""NUL and the other control characters, wherever a request carries a string: the
dialect's 400 on both databases, and nothing written.

Every string of each body below (values and keys, attribute names included) is
sent again with a control character in it; so are the path, the query and a header.
Free text keeps tab and line breaks; identifiers and names take no control at all.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from optledger.storage.tables import Event, Person, SubscriptionRecord
from tests.conftest import Tenant
from tests.support.helpers import count_rows, stored_attributes, stored_identifiers, vibes_headers
from tests.support.manage_requests import REQUESTS as MANAGE_REQUESTS
from tests.support.manage_requests import objects_of as manage_objects_of
from tests.support.operator_helpers import make_operator

PHONE = "+19148440701"
HOOK = "https://hooks.example.com/hook"
# NUL (which PostgreSQL text cannot hold), another C0 control, escape, and DEL's
# neighbour in C0: each must be refused.
CONTROLS = ["\x00", "\x01", "\x1b", "\x1f"]

Path = tuple[str | int, ...]


def bodies(tenant: Tenant) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, body) of every route that reads strings from a JSON body."""
    unit = tenant.unit_id("MARKETING")
    vibes = f"/companies/{tenant.key}"
    ids = {"clientUserId": "crm-1", "customIdentifiers": [{"name": "loyalty", "value": "L-1"}]}
    return [
        ("POST", "/v1/subscriptions", {
            "user": {"phone": PHONE, "email": "ann@example.com"}, "signUpSourceId": unit,
            "externalIdentifiers": ids, "singleOptIn": True,
        }),
        ("POST", "/v1/subscriptions/unsubscribe", {"user": {"phone": PHONE}}),
        ("POST", "/v1/subscriptions/eligibility", {"users": [{"phone": PHONE}]}),
        ("POST", "/v1/attributes/custom", {
            "properties": {"tier": "gold"}, "user": {"phone": PHONE, "externalIdentifiers": ids},
        }),
        ("POST", "/v2/user/attributes", {
            "identifiers": {"phone": PHONE, "clientUserId": "crm-1"},
            "attributes": {"tier": "gold"},
        }),
        ("POST", "/v1/identity-resolution/user-identifiers", {"phone": PHONE, **ids}),
        ("POST", "/v1/privacy/delete-request", {
            "subjectPhone": PHONE, "clientUserId": "crm-1", "requestMsg": "please",
        }),
        ("POST", "/v1/webhooks", {"url": HOOK, "events": ["sms.subscribed"]}),
        ("POST", "/1/subscribers/unsubscribe", {"phone": PHONE}),
        ("POST", f"{vibes}/mobiledb/persons", {
            "mobile_phone": {"mdn": PHONE}, "external_person_id": "ext-1",
            "custom_fields": {"tier": "gold"},
        }),
        ("PUT", f"{vibes}/mobiledb/persons/external/ext-1", {"custom_fields": {"tier": "gold"}}),
        ("POST", f"{vibes}/campaigns/acquisition/{unit}/participants", {
            "mobile_phone": {"mdn": PHONE},
        }),
        ("POST", f"{vibes}/config/callbacks/", {
            "callback_type": "subscription_added", "destination": {"url": HOOK},
        }),
    ]  # fmt: skip


def strings_of(value: Any, path: Path = ()) -> Iterator[tuple[Path, bool]]:
    """Where a body holds a string: (path, whether it is a key rather than a value)."""
    if isinstance(value, str):
        yield path, False
    elif isinstance(value, dict):
        for name, item in value.items():
            yield (*path, name), True
            yield from strings_of(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_of(item, (*path, index))


def with_control(body: dict[str, Any], path: Path, is_key: bool, control: str) -> Any:
    """A copy of `body` with `control` inside the string at `path`."""
    changed = copy.deepcopy(body)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if is_key:
        assert isinstance(last, str)
        parent[last[:1] + control + last[1:]] = parent.pop(last)
    else:
        value = parent[last]
        parent[last] = value[:1] + control + value[1:]
    return changed


def assert_refused(response: httpx.Response, url: str) -> None:
    """A 400 in the shape of the dialect `url` is in."""
    assert response.status_code == 400, (url, response.status_code, response.text)
    answer = response.json()
    if url.startswith("/companies/"):
        assert answer["errors"][0]["message"]
    elif url.startswith("/manage/"):
        assert set(answer["error"]) == {"code", "message", "request_id"}
    else:
        assert isinstance(answer["error"]["id"], int)
        assert answer["error"]["message"]


async def holdings(tenant: Tenant) -> list[int]:
    return [
        await count_rows(tenant.database, tenant.company_id, table)
        for table in (Person, SubscriptionRecord, Event)
    ]


async def test_a_control_character_in_any_string_of_a_body_is_400(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    held = await holdings(tenant)
    for method, url, body in bodies(tenant):
        headers = vibes_headers(tenant) if url.startswith("/companies/") else tenant.api_headers
        if url.startswith("/1/"):
            headers = tenant.legacy_headers
        for path, is_key in strings_of(body):
            for control in CONTROLS:
                sent = with_control(body, path, is_key, control)
                response = await app_client.request(method, url, json=sent, headers=headers)
                assert_refused(response, url)
                # The answer names where, never a 500 from the database.
                assert "control character" in response.text, response.text
    assert await holdings(tenant) == held


async def test_a_lone_surrogate_is_400_too(app_client: httpx.AsyncClient, tenant: Tenant) -> None:
    # JSON can escape half of a surrogate pair; no UTF-8 (and no PostgreSQL text) holds one.
    body = {"properties": {"tier": "gold\ud800"}, "user": {"phone": PHONE}}
    headers = {**tenant.api_headers, "Content-Type": "application/json"}
    sent = json.dumps(body)  # as `\ud800`: no UTF-8 encodes it raw
    response = await app_client.post("/v1/attributes/custom", content=sent, headers=headers)
    assert_refused(response, "/v1/attributes/custom")
    assert "properties.tier" in response.json()["error"]["message"]
    paired = {"properties": {"tier": "gold \U0001f947"}, "user": {"phone": PHONE}}
    kept = await app_client.post("/v1/attributes/custom", json=paired, headers=tenant.api_headers)
    assert kept.status_code == 200, kept.text


async def test_a_control_character_in_a_management_body_is_400(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    operator = await make_operator(tenant.database, [tenant.key])
    app_client.headers.update(operator.headers)
    ids = await manage_objects_of(app_client, tenant)
    for (method, _), (url, body) in sorted(MANAGE_REQUESTS.items()):
        if not body:
            continue
        url = url.format(**ids)
        for path, is_key in strings_of(body):
            sent = with_control(body, path, is_key, "\x00")
            assert_refused(await app_client.request(method, url, json=sent), url)


@pytest.mark.parametrize("control", ["%00", "%01", "%1B", "%7F"])
async def test_a_control_character_in_a_path_or_query_is_400(
    app_client: httpx.AsyncClient, tenant: Tenant, control: str
) -> None:
    vibes = f"/companies/{tenant.key}/mobiledb/persons"
    requests = [
        (f"/v1/subscriptions?phone={quote(PHONE)}{control}", tenant.api_headers),
        (f"/v1/subscriptions?email=ann{control}@example.com", tenant.api_headers),
        (f"/v1/messages?to={quote(PHONE)}{control}", tenant.api_headers),
        (f"/v1/privacy/delete-request/1{control}", tenant.api_headers),
        (f"{vibes}/external/ext{control}1", vibes_headers(tenant)),
        (f"{vibes}/external/ext{control}1/subscriptions", vibes_headers(tenant)),
        (f"{vibes}?mdn={quote(PHONE)}{control}", vibes_headers(tenant)),
        (f"/manage/v1/companies/{tenant.key}{control}", tenant.api_headers),
    ]
    for url, headers in requests:
        for _ in range(2):  # once past the lanes' cache, once through them
            assert_refused(await app_client.get(url, headers=headers), url)


async def test_a_control_character_in_a_header_is_400(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    held = await holdings(tenant)
    body = {"user": {"phone": PHONE}, "signUpSourceId": tenant.unit_id("MARKETING")}
    for name, value in (("User-Agent", "agent\x00"), ("Idempotency-Key", "key\x01")):
        headers = {**tenant.api_headers, name: value}
        response = await app_client.post("/v1/subscriptions", json=body, headers=headers)
        assert_refused(response, "/v1/subscriptions")
    assert await holdings(tenant) == held


async def test_free_text_keeps_tabs_and_line_breaks_identifiers_and_names_do_not(
    app_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = tenant.api_headers
    kept = await app_client.post(
        "/v1/attributes/custom",
        json={"properties": {"note": "line one\nline two\ttabbed"}, "user": {"phone": PHONE}},
        headers=headers,
    )
    assert kept.status_code == 200, kept.text
    [attributes] = (await stored_attributes(tenant.database, tenant.company_id)).values()
    assert attributes["note"] == "line one\nline two\ttabbed"
    for body in (
        {"properties": {"no\ttabs": "x"}, "user": {"phone": PHONE}},
        {"properties": {"tier": "x"},
         "user": {"phone": PHONE, "externalIdentifiers": {"clientUserId": "crm\n1"}}},
    ):  # fmt: skip
        refused = await app_client.post("/v1/attributes/custom", json=body, headers=headers)
        assert_refused(refused, "/v1/attributes/custom")
        assert "control character" in refused.json()["error"]["message"]
    person = await app_client.post(
        f"/companies/{tenant.key}/mobiledb/persons",
        json={"external_person_id": "ext\t7", "mobile_phone": {"mdn": PHONE}},
        headers=vibes_headers(tenant),
    )
    assert_refused(person, "/companies/")
    identifiers = await stored_identifiers(tenant.database, tenant.company_id)
    assert [value for _, value in identifiers] == [PHONE]
