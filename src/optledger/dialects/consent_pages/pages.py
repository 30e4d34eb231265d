"""Small server-rendered pages: Jinja2 templates in this package, no external assets.

Every page is sent with headers that keep it out of caches, frames and referrers
(the URL carries a token), and errors under the pages' paths are pages too.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from optledger.web.errors import log_page_error
from optledger.web.html_pages import HtmlPages

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


_pages = HtmlPages("optledger.dialects.consent_pages", PAGE_HEADERS)


def page(template: str, status: int = 200, **values: Any) -> Response:
    """One rendered page."""
    return _pages.render(template, status, **values)


def notice(title: str, *lines: str, status: int = 200) -> Response:
    """A page that only says something."""
    return page("notice.html", status, title=title, lines=lines)


_ERROR_TITLES = {
    400: "This link is not valid",
    404: "Page not found",
    405: "Not allowed",
    413: "Request too large",
    503: "Temporarily unavailable",
}


def html_error(status: int, code: str, message: str) -> Response:
    """The pages' error shape: a page saying what went wrong (logged like the others)."""
    log_page_error(status, code, message)
    title = _ERROR_TITLES.get(status, "Something went wrong")
    if status >= 500:
        detail = "Please try again in a few minutes."
    elif status in (400, 404):
        detail = "Check that the link was copied in full from the email."
    else:
        detail = message
    return notice(title, detail, status=status)
