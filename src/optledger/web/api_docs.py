"""The API document's pages, `/docs` (Swagger UI) and `/redoc`, served offline.

FastAPI's own pages load their scripts and styles from a CDN, so they are blank
without the internet and tell a third party who reads the docs. Here both come
from the `fastapi-offline` package installed with optledger (Swagger UI and
ReDoc's published bundles, licences inside), served under `/docs/assets/`, and a
content security policy tells the browser to load nothing from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"
OPENAPI_URL = "/openapi.json"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _policy(page: str) -> str:
    """A content security policy allowing this origin and the page's own inline
    scripts, named by their hashes; inline styles too, which both bundles set."""
    scripts = ["'self'"] + [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    ]
    return (
        f"default-src 'none'; script-src {' '.join(scripts)}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class _Page:
    """One documentation page, rendered once, answered with its own policy."""

    def __init__(self, html: HTMLResponse) -> None:
        self.text = bytes(html.body).decode()
        self.headers = {
            "Content-Security-Policy": _policy(self.text),
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
        }

    def response(self) -> Response:
        """A new response: the page."""
        return HTMLResponse(self.text, headers=self.headers)


def install_api_docs(app: FastAPI) -> None:
    """Serve the API document, its two pages and their assets (none in the document)."""
    title = app.title
    swagger = _Page(
        get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No online validator: the document is never sent anywhere.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc = _Page(
        get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )

    # Routes of the app's own (FastAPI's are plain Starlette ones), so that requests
    # are logged and counted under their templates.
    @app.get(OPENAPI_URL, include_in_schema=False)
    async def openapi_document() -> Response:
        """The OpenAPI document."""
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> Response:
        """Swagger UI over the document."""
        return swagger.response()

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> Response:
        """ReDoc over the document."""
        return redoc.response()

    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
