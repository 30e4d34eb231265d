"""`/c/{token}` (confirm an email double opt-in) and `/u/{token}` (unsubscribe, RFC 8058).

No cookie, no login: the signed token is the credential (`core.consent_links`).
A GET only shows a page with a button, since mail scanners fetch links; a POST
acts, in one unit of work through the core's rules, with the request's address
and user agent as evidence. Mailbox providers POST `List-Unsubscribe=One-Click`
to the unsubscribe URL and read only the status: 200 once the address is off
the list. The pages are not API operations: they stay out of the OpenAPI document.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from optledger.core.consent_links import MAX_TOKEN_LENGTH
from optledger.core.context import RequestContext
from optledger.core.subscriptions.email_links import (
    SOURCE,
    ConfirmState,
    ConfirmView,
    UnsubscribeView,
)
from optledger.core.use_cases.email_links import (
    confirm_by_link,
    unsubscribe_by_link,
    view_confirm_link,
    view_unsubscribe_link,
)
from optledger.dialects.consent_pages.pages import html_error, notice, page
from optledger.settings import Settings
from optledger.web.authentication import DatabaseDep
from optledger.web.errors import Dialect

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_LENGTH)]


def _context(request: Request) -> RequestContext:
    return RequestContext(
        source=SOURCE,
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _time_to_live(request: Request) -> timedelta:
    settings: Settings = request.app.state.settings
    return timedelta(hours=settings.confirmation_ttl_hours)


def _not_recognised() -> Response:
    return notice(
        "This link is not valid",
        "We do not recognise this link. Check that it was copied in full from the email.",
        status=404,
    )


def _confirm_page(view: ConfirmView, time_to_live: timedelta) -> Response:
    company = view.company_name or ""
    if view.state == ConfirmState.READY:
        return page(
            "confirm.html", title="Confirm your subscription", company=company, address=view.address
        )
    if view.state == ConfirmState.CONFIRMED:
        return notice(
            "Subscription confirmed",
            f"Thank you: {view.address} is now subscribed to emails from {company}.",
        )
    if view.state == ConfirmState.ALREADY_CONFIRMED:
        return notice(
            "Already confirmed",
            f"{view.address} is already subscribed to emails from {company}. "
            "There is nothing more to do.",
        )
    if view.state == ConfirmState.EXPIRED:
        hours = round(time_to_live.total_seconds() / 3600)
        return notice(
            "This link has expired",
            f"Confirmation links work for {hours} hours. Sign up again to receive a new one.",
            status=410,
        )
    if view.state == ConfirmState.CLOSED:
        return notice(
            "This link can no longer be used",
            "This subscription was declined or ended since the email was sent. "
            "Sign up again to subscribe.",
            status=410,
        )
    return _not_recognised()


@router.get("/c/{token}")
async def confirm_form(token: Token, request: Request, database: DatabaseDep) -> Response:
    """A page with a button that confirms; looking changes nothing."""
    ttl = _time_to_live(request)
    view = await view_confirm_link(database, token, ttl)
    return _confirm_page(view, ttl)


@router.post("/c/{token}")
async def confirm(token: Token, request: Request, database: DatabaseDep) -> Response:
    """Confirm the PENDING record the link names; the welcome email follows."""
    ttl = _time_to_live(request)
    context = _context(request)
    view = await confirm_by_link(database, token, ttl, context)
    return _confirm_page(view, ttl)


def _unsubscribe_form(view: UnsubscribeView) -> Response:
    return page(
        "unsubscribe.html",
        title="Unsubscribe",
        company=view.company.name,
        list_name=view.subscription_list.name,
        address=view.address,
    )


@router.get("/u/{token}")
async def unsubscribe_form(token: Token, database: DatabaseDep) -> Response:
    """A page with a button that unsubscribes; looking changes nothing."""
    view = await view_unsubscribe_link(database, token)
    return _unsubscribe_form(view) if view is not None else _not_recognised()


@router.post("/u/{token}")
async def unsubscribe(token: Token, request: Request, database: DatabaseDep) -> Response:
    """One-click unsubscribe (RFC 8058): whatever the body, the address leaves the list."""
    context = _context(request)
    view = await unsubscribe_by_link(database, token, context)
    if view is None:
        return _not_recognised()
    return notice(
        "You are unsubscribed",
        f"{view.address} will receive no more emails from {view.company.name} "
        f"({view.subscription_list.name}).",
    )


DIALECT = Dialect(router, prefixes=("/c/", "/u/"), error_shape=html_error)
