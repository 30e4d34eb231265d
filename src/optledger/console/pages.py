"""Rendering console pages: Jinja2 templates of this package, headers that keep them private.

Assets come from the app itself (`/console/static/`); the content security policy
allows nothing else, no script at all, and forms only to this origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.responses import Response

from optledger.web.errors import log_page_error
from optledger.web.html_pages import HtmlPages

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _when(value: datetime | None) -> str:
    """A time as operators read it: UTC, to the second."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _age(seconds: float | None) -> str:
    """A wait as operators read it: its largest unit or two (3 h 12 min)."""
    if seconds is None:
        return ""
    whole = int(seconds)
    days, hours, minutes = whole // 86400, whole % 86400 // 3600, whole % 3600 // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {whole % 60} s" if minutes else f"{whole} s"


_pages = HtmlPages("optledger.console", PAGE_HEADERS, filters={"when": _when, "age": _age})


def done_notice(query: Mapping[str, str], said: Mapping[str, str]) -> str:
    """What a redirect after a change tells the next page (`?created=7`): the first
    of `said`'s sentences whose key is in the query, with its id; else nothing."""
    for key, sentence in said.items():
        value = query.get(key, "")
        if value.isascii() and value.isdigit() and len(value) <= 19:
            return sentence.format(value)
    return ""


def render(template: str, status: int = 200, **values: Any) -> Response:
    """One rendered page."""
    return _pages.render(template, status, **values)


_TITLES = {
    400: "That request was not valid",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That conflicts with what is stored",
    413: "Request too large",
    429: "Too many requests",
    503: "Temporarily unavailable",
}


def console_error(status: int, code: str, message: str) -> Response:
    """The console's error shape: a page saying what went wrong."""
    log_page_error(status, code, message)
    detail = "Please try again in a few minutes." if status >= 500 else message
    title = _TITLES.get(status, "Something went wrong")
    return render("error.html", status, title=title, detail=detail)
