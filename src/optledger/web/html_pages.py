"""Whole HTML pages from a package's Jinja2 templates, each sent with fixed headers.

The email consent pages and the operator's console both render this way; each
keeps its own templates and headers (what its pages may load, who may frame them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response


class HtmlPages:
    """The templates under `package`/templates, autoescaped."""

    def __init__(
        self,
        package: str,
        headers: Mapping[str, str],
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.headers = dict(headers)
        self.templates = Environment(
            loader=PackageLoader(package, "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(filters or {})

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        """One rendered page."""
        html = self.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status, headers=self.headers)
