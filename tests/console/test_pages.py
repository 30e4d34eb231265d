"""The operator's console over HTTP: sign-in, sessions and CSRF, and each page's work.

The browser tests (`tests/console/test_browser.py`) drive the same pages in Chromium.
"""

from __future__ import annotations

import re

import httpx
import pytest

from optledger.console.sessions import COOKIE
from optledger.core.operators.accounts import (
    change_password,
    new_password_hash,
    remove_operator,
    set_operator_companies,
)
from optledger.storage.tables import Credential
from tests.conftest import Tenant, make_tenant
from tests.support.console_forms import csrf_of, post_form, sign_in
from tests.support.helpers import count_rows, subscribe, subscribe_active
from tests.support.operator_helpers import PASSWORD, make_operator_without_token


async def test_pages_need_a_session(console: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/units", "/console/subscribers?q=x"):
        response = await console.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login?next=/console")
    login = await console.get("/console/login")
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie
    assert "default-src 'none'" in login.headers["content-security-policy"]
    css = await console.get("/console/static/console.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]


async def test_a_wrong_password_is_refused_and_keeps_the_name(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    name = await make_operator_without_token(tenant.database)
    refused = await sign_in(console, name, "wrong")
    assert refused.status_code == 401
    assert "wrong operator name or password" in refused.text
    assert f'value="{name}"' in refused.text
    assert (await console.get("/console")).status_code == 303
    signed = await sign_in(console, name)
    assert (signed.status_code, signed.headers["location"]) == (303, "/console")
    assert (await console.get("/console")).status_code == 200


async def test_sign_in_is_throttled(tenant: Tenant, console: httpx.AsyncClient) -> None:
    name = await make_operator_without_token(tenant.database)
    answers = [(await sign_in(console, name, "wrong")).status_code for _ in range(7)]
    assert answers[:5] == [401] * 5
    assert 429 in answers[5:]
    # Even the right password waits its turn.
    throttled = await sign_in(console, name)
    assert throttled.status_code == 429
    assert "too many failed sign-ins" in throttled.text


async def test_posts_need_the_sessions_token(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    for data in ({}, {"csrf": "forged"}):
        refused = await console.post("/console/units/new", data={**data, "name": "Forged"})
        assert refused.status_code == 403
        assert "did not come from this console" in refused.text
    units = await console.get("/console/units")
    assert "Forged" not in units.text
    # The sign-in form's token is refused too once another console's cookie is gone.
    fresh = httpx.AsyncClient(transport=console._transport, base_url="http://testserver")
    async with fresh:
        login = await fresh.post(
            "/console/login", data={"csrf": "x", "name": operator, "password": PASSWORD}
        )
        assert login.status_code == 403


async def test_a_unit_made_here_takes_subscriptions_and_shows_in_the_timeline(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    created = await post_form(
        console,
        "/console/units/new",
        "/console/units/new",
        name="Spring popup",
        type="MARKETING",
        method="API",
        channels="TEXT",
        language="en",
        country="US",
        legal_disclosure="Msg & data rates may apply. Reply STOP to stop.",
        allow_single_opt_in="on",
    )
    assert created.status_code == 303, created.text
    unit_id = created.headers["location"].split("created=")[1]
    table = await console.get(created.headers["location"])
    assert f"Unit {unit_id} created" in table.text
    row = re.search(rf'data-unit-id="{unit_id}".*?</tr>', table.text, re.S)
    assert row is not None
    assert "Spring popup" in row.group(0)
    app_client.headers.update(tenant.api_headers)
    phone = "+19148440601"
    answer = await subscribe_active(app_client, phone, unit_id=unit_id)
    assert answer.status_code == 202, answer.text
    found = await console.get("/console/subscribers", params={"q": "(914) 844-0601"})
    assert found.status_code == 303
    person = await console.get(found.headers["location"])
    assert person.status_code == 200
    for shown in (phone, "Spring popup", "Msg &amp; data rates may apply", "subscription_created"):
        assert shown in person.text
    assert "nobody matches" in (await console.get("/console/subscribers?q=nobody")).text.lower()
    lists = await console.get("/console/lists")
    assert re.search(r"<td class=\"num\">1</td>", lists.text)
    dashboard = await console.get("/console")
    assert "1 opt-ins" in dashboard.text
    assert "<svg" in dashboard.text


async def test_a_refused_form_keeps_what_was_typed(
    console: httpx.AsyncClient, operator: str
) -> None:
    refused = await post_form(
        console,
        "/console/units/new",
        "/console/units/new",
        name="No disclosure",
        type="MARKETING",
        method="KEYWORD",
        channels="TEXT",
        language="en",
        country="US",
        keywords="STOP",
        welcome_text="Welcome aboard",
    )
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text
    for typed in ('value="No disclosure"', 'value="STOP"', "Welcome aboard"):
        assert typed in refused.text
    assert "No disclosure" not in (await console.get("/console/units")).text


async def test_editing_and_archiving_a_unit(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    unit_id = tenant.unit_id("MARKETING")
    edit = f"/console/units/{unit_id}/edit"
    form = await console.get(edit)
    assert form.status_code == 200
    changed = await console.post(
        edit,
        data={
            "csrf": csrf_of(form),
            "name": "Renamed unit",
            "channels": ["TEXT", "EMAIL"],
            "language": "en",
            "country": "US",
            "legal_disclosure": "New words.",
            "double_opt_in": "on",
        },
    )
    assert changed.status_code == 303, changed.text
    assert "Renamed unit" in (await console.get("/console/units")).text
    question = await console.get(f"/console/units/{unit_id}/archive")
    assert "cannot be undone" in question.text
    archived = await console.post(
        f"/console/units/{unit_id}/archive", data={"csrf": csrf_of(question)}
    )
    assert archived.status_code == 303
    assert re.search(
        rf'data-unit-id="{unit_id}" class="archived"', (await console.get("/console/units")).text
    )
    assert (await console.get("/console/units/99999999/edit")).status_code == 404


async def test_a_name_with_a_control_character_is_refused_with_the_form_kept(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    edit = f"/console/units/{tenant.unit_id('MARKETING')}/edit"
    form = await console.get(edit)
    refused = await console.post(
        edit,
        data={
            "csrf": csrf_of(form),
            "name": "Two\nlines\x00",
            "channels": ["TEXT"],
            "language": "en",
            "country": "US",
            "legal_disclosure": "Words.",
        },
    )
    assert refused.status_code == 400, refused.text
    assert "must not contain control characters" in refused.text
    assert "Two\nlines" not in (await console.get("/console/units")).text


async def test_credentials_show_their_secret_once(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    created = await post_form(
        console,
        "/console/credentials",
        "/console/credentials",
        kind="api_key",
        name="console-key",
        scopes="subscriptions:write",
    )
    assert created.status_code == 200
    token = re.search(r'<code class="copy">([^<]+)</code>', created.text)
    assert token is not None
    assert created.headers["cache-control"] == "no-store"
    listed = await console.get("/console/credentials")
    assert "console-key" in listed.text
    assert token.group(1) not in listed.text
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    works = await app_client.post(
        "/v1/subscriptions",
        json={"user": {"phone": "+19148440602"}, "signUpSourceId": tenant.unit_id("MARKETING")},
        headers=headers,
    )
    assert works.status_code == 202, works.text
    credential_id = re.search(r"/console/credentials/(\d+)/revoke", listed.text)
    assert credential_id is not None
    question = await console.get(f"/console/credentials/{credential_id.group(1)}/revoke")
    revoked = await console.post(
        f"/console/credentials/{credential_id.group(1)}/revoke", data={"csrf": csrf_of(question)}
    )
    assert revoked.status_code == 303
    assert "revoked." in (await console.get(revoked.headers["location"])).text
    bad = await post_form(
        console, "/console/credentials", "/console/credentials", kind="api_key", rate_limit="lots"
    )
    assert bad.status_code == 400
    assert 'value="lots"' in bad.text


async def test_an_operator_sees_only_their_companies(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database, name="Other brand")
    page = await console.get("/console")
    assert "Other brand" not in page.text
    switched = await console.post(
        "/console/company", data={"csrf": csrf_of(page), "company": other.key}
    )
    assert switched.status_code == 403
    other_unit = other.unit_id("MARKETING")
    assert (await console.get(f"/console/units/{other_unit}/edit")).status_code == 404


async def test_an_operator_of_several_companies_switches_between_them(
    tenant: Tenant, console: httpx.AsyncClient
) -> None:
    other = await make_tenant(tenant.database, name="Second brand")
    name = await make_operator_without_token(tenant.database, [tenant.key, other.key])
    await sign_in(console, name)
    page = await console.get("/console")
    switched = await console.post(
        "/console/company",
        data={"csrf": csrf_of(page), "company": other.key, "next": "/console/units"},
    )
    assert (switched.status_code, switched.headers["location"]) == (303, "/console/units")
    units = await console.get("/console/units")
    assert f'data-unit-id="{other.unit_id("MARKETING")}"' in units.text
    assert f'data-unit-id="{tenant.unit_id("MARKETING")}"' not in units.text


async def test_a_password_reset_ends_the_session(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    page = await console.get("/console")
    assert page.status_code == 200
    password_hash = new_password_hash("another long password")
    await tenant.database.run(lambda c: change_password(c, operator, password_hash))
    assert (await console.get("/console")).status_code == 303
    await sign_in(console, operator, "another long password")
    assert (await console.get("/console")).status_code == 200


async def _sign_out(console: httpx.AsyncClient, tenant: Tenant, operator: str) -> None:
    page = await console.get("/console")
    signed_out = await console.post("/console/logout", data={"csrf": csrf_of(page)})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/console/login"


async def _reset_password(console: httpx.AsyncClient, tenant: Tenant, operator: str) -> None:
    password_hash = new_password_hash("another long password")
    await tenant.database.run(lambda c: change_password(c, operator, password_hash))


async def _remove(console: httpx.AsyncClient, tenant: Tenant, operator: str) -> None:
    await tenant.database.run(lambda c: remove_operator(c, operator))


async def _lose_the_company(console: httpx.AsyncClient, tenant: Tenant, operator: str) -> None:
    other = await make_tenant(tenant.database, name="Kept brand")
    await tenant.database.run(lambda c: set_operator_companies(c, operator, [other.key]))


ENDINGS = {
    "sign-out": _sign_out,
    "password reset": _reset_password,
    "operator removed": _remove,
    "company access lost": _lose_the_company,
}


@pytest.mark.parametrize("ending", ENDINGS)
async def test_a_copied_cookie_is_dead_once_the_session_ends(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, ending: str
) -> None:
    page = await console.get("/console/credentials")
    assert page.status_code == 200
    copied, csrf = console.cookies[COOKIE], csrf_of(page)
    credentials = await count_rows(tenant.database, tenant.company_id, Credential)
    await ENDINGS[ending](console, tenant, operator)
    # The copy, replayed as another browser would: no page, and no credential minted.
    console.cookies.clear()
    console.cookies.set(COOKIE, copied)
    for path in ("/console", "/console/credentials", "/console/units"):
        refused = await console.get(path)
        assert refused.status_code == 303, (path, refused.text)
        assert refused.headers["location"].startswith("/console/login")
    minted = await console.post(
        "/console/credentials", data={"csrf": csrf, "kind": "api_key", "name": "stolen"}
    )
    assert minted.status_code == 303
    assert minted.headers["location"].startswith("/console/login")
    assert await count_rows(tenant.database, tenant.company_id, Credential) == credentials


async def test_signing_in_again_after_a_sign_out_works(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    await _sign_out(console, tenant, operator)
    assert (await console.get("/console")).status_code == 303
    assert (await sign_in(console, operator)).status_code == 303
    assert (await console.get("/console")).status_code == 200


async def test_gaining_a_company_keeps_the_session(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    other = await make_tenant(tenant.database, name="Added brand")
    keys = [tenant.key, other.key]
    await tenant.database.run(lambda c: set_operator_companies(c, operator, keys))
    page = await console.get("/console")
    assert page.status_code == 200
    assert 'id="company-switch"' in page.text
    assert "Added brand" in (await console.get("/console/companies?q=added")).text


async def test_gaining_every_company_keeps_the_session(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    await tenant.database.run(lambda c: set_operator_companies(c, operator, None))
    assert (await console.get("/console")).status_code == 200


async def test_messages_and_webhooks_pages(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    app_client.headers.update(tenant.api_headers)
    assert (await subscribe(app_client, "+19148440603")).status_code == 202
    messages = await console.get("/console/messages")
    assert "+19148440603" in messages.text
    assert "confirmation" in messages.text.lower()
    hook = await app_client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/optledger", "events": ["sms.subscribed"]},
    )
    assert hook.status_code == 201, hook.text
    listed = await console.get("/console/webhooks")
    assert "https://hooks.example.com/optledger" in listed.text
    log = await console.get(f"/console/webhooks/attentive/{hook.json()['id']}")
    assert log.status_code == 200
    assert (await console.get("/console/webhooks/attentive/99999999")).status_code == 404
    assert (await console.get("/console/webhooks/other/1")).status_code in (400, 404, 422)


async def test_bad_requests_get_pages_not_errors(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    page = await console.get("/console/units/new")
    token = csrf_of(page)
    cases = [
        await console.get("/console/units/not-a-number/edit"),
        await console.get("/console/units/99999999999999999999/edit"),
        await console.get("/console/no-such-page"),
        await console.get("/console/subscribers", params={"q": "x" * 400}),
        await console.post(
            "/console/units/new",
            content=b'{"name": "json"}',
            headers={"content-type": "application/json"},
        ),
        await console.post(
            "/console/units/new",
            content=b"csrf=" + token.encode() + b"&name=%FF%FE",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        await console.post("/console/units/new", data={"csrf": token, "name": "x" * 2_000_000}),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>" in response.text
    assert [r.status_code for r in cases[4:]] == [400, 400, 413]
    units = await console.get("/console/units")
    assert "json" not in units.text
