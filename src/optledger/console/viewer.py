"""Who is looking: the signed-in operator, the companies they see, the one they look at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from optledger.console.sessions import ConsoleSession, SessionCookies, session_cookies
from optledger.core.audit import Actor
from optledger.core.errors import NotFound
from optledger.core.operators.tokens import OperatorPrincipal
from optledger.core.use_cases.companies import CompanyRow
from optledger.core.use_cases.console_sessions import session_operator_of
from optledger.web.authentication import DatabaseDep

SIGN_IN = "/console/login"


class SignInRequired(Exception):
    """No session, or one that no longer names an operator: off to the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def sign_in_redirect(request: Request, exc: Exception) -> Response:
    """303 to the sign-in page, which comes back here afterwards."""
    path = exc.path if isinstance(exc, SignInRequired) else "/console"
    return RedirectResponse(f"{SIGN_IN}?next={quote(path)}", status_code=303)


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    if raw and raw.startswith("/console") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/console"


@dataclass(frozen=True)
class Viewer:
    """The operator of a signed-in request and the company their pages show."""

    session: ConsoleSession
    cookies: SessionCookies
    operator: OperatorPrincipal
    company: CompanyRow | None
    # Whether the operator sees other companies: the header then offers the switch.
    several_companies: bool
    client_ip: str | None

    @property
    def actor(self) -> Actor:
        """Who the audit trail says made a change from this page: the operator, and
        from where."""
        return Actor(self.operator.name, self.client_ip)

    @property
    def csrf(self) -> str:
        """The token every form of the page carries."""
        return self.session.csrf

    def current(self) -> CompanyRow:
        """The company the page is about; `NotFound` for an operator who sees none."""
        if self.company is None:
            raise NotFound("this operator sees no company yet: ask an administrator")
        return self.company


async def current_viewer(request: Request, database: DatabaseDep) -> Viewer:
    """The signed-in viewer, or `SignInRequired`."""
    cookies = await session_cookies(request)
    session = cookies.read(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None or not session.signed_in:
        raise SignInRequired(path)
    found = await session_operator_of(database, session.name, session.epoch, session.company)
    if found is None:
        raise SignInRequired(path)
    return Viewer(
        session,
        cookies,
        found.operator,
        found.company,
        found.several_companies,
        request.client.host if request.client else None,
    )


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
