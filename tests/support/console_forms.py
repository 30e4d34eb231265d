"""Driving the console as a browser would: its forms' CSRF tokens, signing in, posting."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.operator_helpers import PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/console/login")
    data = {"csrf": csrf_of(form), "name": name, "password": password, "next": "/console"}
    return await client.post("/console/login", data=data)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, **fields: Any
) -> httpx.Response:
    """Fill in the form on `page` (its CSRF token) and post it to `action`."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={"csrf": csrf_of(shown), **fields})
