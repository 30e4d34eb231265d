"""`/docs` and `/redoc`: served from assets inside the installed package, nothing
from elsewhere, and counted under their own routes."""

from __future__ import annotations

import re

import httpx

from tests.support.helpers import requests_of, scrape

PAGES = ("/docs", "/redoc")
# Every URL a page names: its scripts, styles, icon and the document.
URL = re.compile(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""")


async def test_the_documentation_pages_load_only_this_servers_assets(
    app_client: httpx.AsyncClient,
) -> None:
    for page in PAGES:
        response = await app_client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "http" not in policy
        assert "http://" not in response.text
        assert "https://" not in response.text
        named = URL.findall(response.text)
        assert "/openapi.json" in named, page
        assert any(url.startswith("/docs/assets/") for url in named), page
        for url in named:
            # A path on this server: not another host's, not protocol-relative.
            assert re.match(r"/[^/]", url), url
            asset = await app_client.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
    assert "'sha256-" in (await app_client.get("/docs")).headers["content-security-policy"]


async def test_documentation_requests_are_counted_under_their_own_routes(
    app_client: httpx.AsyncClient,
) -> None:
    requests = {
        "/docs": "/docs",
        "/redoc": "/redoc",
        "/openapi.json": "/openapi.json",
        "/docs/assets/swagger-ui.css": "/docs/assets/{path}",
        "/console/static/console.css": "/console/static/{path}",
    }
    before = await scrape(app_client)
    for path in requests:
        assert (await app_client.get(path)).status_code == 200, path
    after = await scrape(app_client)
    for route in requests.values():
        grown = requests_of(after, route, "GET", "200") - requests_of(before, route, "GET", "200")
        assert grown == 1, route
