"""A lane past the framework for the hottest read, `GET /v1/subscriptions`.

An eligibility check is one indexed statement; routing, dependency injection and
response models around it cost more than the database does. This middleware
answers the check itself when the request is the common case: a bearer key this
process has already authenticated (the principal cache) and plain query
parameters. Anything else (a key not yet seen, a missing scope, odd parameters, a
database error) steps aside to the FastAPI route, which answers the same request in
full and is where the route is documented.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from optledger.auth.cache import PrincipalCache
from optledger.auth.credentials import CredentialKind, split_token
from optledger.auth.scopes import Scope as AuthScope
from optledger.core.errors import OptledgerError
from optledger.dialects.attentive.subscriptions import (
    MAX_EMAIL_QUERY,
    MAX_PHONE_QUERY,
    eligibility_answer,
)
from optledger.dialects.errors import STATUS_BY_KIND, error_response
from optledger.storage.database import Database

PATH = "/v1/subscriptions"


class EligibilityLane:
    """ASGI middleware: answers cached-key eligibility checks, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        state = scope["app"].state
        cache: PrincipalCache | None = getattr(state, "principal_cache", None)
        database: Database | None = getattr(state, "database", None)
        if cache is None or database is None:
            return None
        scheme, _, token = dict(scope["headers"]).get(b"authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer":
            return None
        try:
            principal = cache.get(CredentialKind.API_KEY, *split_token(token.decode().strip()))
        except (OptledgerError, UnicodeDecodeError):
            return None
        if principal is None or AuthScope.SUBSCRIPTIONS_WRITE not in principal.scopes:
            return None
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        phone, email = params.get("phone"), params.get("email")
        if len(params) != (phone is not None) + (email is not None) or (
            len(phone or "") > MAX_PHONE_QUERY or len(email or "") > MAX_EMAIL_QUERY
        ):
            return None
        try:
            return await eligibility_answer(database, principal.company.id, phone, email)
        except OptledgerError as exc:
            return error_response(PATH, STATUS_BY_KIND[exc.kind], exc.code, exc.message)
        except Exception:
            # The framework's route meets the same failure and reports it properly
            # (503 for an unreachable database, a logged 500 otherwise).
            return None
