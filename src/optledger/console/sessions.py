"""The console's session cookie: signed, HttpOnly, SameSite=Strict, and a CSRF token.

The cookie names the operator's session epoch, which the database keeps: sign-out
replaces the epoch, so the cookie (and any copy of it) is dead server-side, not
only forgotten by the browser.

Before sign-in the cookie holds only a CSRF token for the sign-in form; signing in
replaces it with a new one naming the operator (no session fixation). Every form
carries the session's token, and a POST whose token differs is refused. The key is
derived from a secret the database keeps (`server_secrets`), so every server
process reads the same cookies.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from optledger.core.server_secrets import installation_secret

COOKIE = "optledger_console"
PATH = "/console"
SECRET_NAME = "console_sessions"
# A signed-in session lasts a working day; signing in again starts a new one.
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """What the cookie holds: the form token, and once signed in, who and where."""

    csrf: str
    name: str = ""
    # The operator's session epoch when they signed in (see `core.operators.sessions`).
    epoch: str = ""
    company: str = ""

    @property
    def signed_in(self) -> bool:
        """Whether the session names an operator."""
        return bool(self.name)

    def accepts(self, token: str | None) -> bool:
        """Whether a form's token is this session's."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())

    def in_company(self, key: str) -> ConsoleSession:
        """The same session, looking at another company."""
        return replace(self, company=key)


def new_session(name: str = "", epoch: str = "") -> ConsoleSession:
    """A session with a fresh form token."""
    return ConsoleSession(csrf=secrets.token_urlsafe(24), name=name, epoch=epoch)


class SessionCookies:
    """Reads and writes the session cookie."""

    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="optledger.console.session")

    def read(self, request: Request) -> ConsoleSession | None:
        """The request's session, unless missing, altered or older than a working day."""
        raw = request.cookies.get(COOKIE)
        if not raw or len(raw) > 4096:
            return None
        try:
            data = self.serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return None
        try:
            return ConsoleSession(**data)
        except TypeError:
            return None

    def write(self, request: Request, response: Response, session: ConsoleSession) -> None:
        """Set the cookie on `response`; Secure whenever the console is reached over HTTPS."""
        response.set_cookie(
            COOKIE,
            self.serializer.dumps(vars(session)),
            max_age=MAX_AGE_SECONDS,
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear(response: Response) -> None:
        """Forget the session in the browser."""
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")


async def session_cookies(request: Request) -> SessionCookies:
    """The process's cookie signer, made once from the shared secret."""
    state = request.app.state
    cookies: SessionCookies | None = getattr(state, "console_cookies", None)
    if cookies is None:
        secret = await installation_secret(state.database, SECRET_NAME)
        cookies = state.console_cookies = SessionCookies(secret)
    return cookies
