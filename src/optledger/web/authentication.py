"""FastAPI dependencies that turn request credentials into a principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal, split_token
from optledger.core.context import RequestContext
from optledger.core.errors import Forbidden, Unauthorized
from optledger.core.use_cases.credentials import authenticate_credential
from optledger.storage.database import Database
from optledger.web.authorization import basic_credentials, bearer_token
from optledger.web.principal_cache import PrincipalCache
from optledger.web.rate_limit_headers import admit


async def get_database(request: Request) -> Database:
    """The application's database handle (async: no thread-pool hop per request)."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def _bearer_token(request: Request) -> str:
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthorized("a bearer token is required")
    return token


async def _principal(
    request: Request, database: Database, kind: CredentialKind, lookup: str, secret: str
) -> Principal:
    cache: PrincipalCache = request.app.state.principal_cache
    principal = cache.get(kind, lookup, secret)
    if principal is None:
        principal = await authenticate_credential(database, kind, lookup, secret)
        cache.put(kind, lookup, secret, principal)
    admit(request.scope, principal)
    return principal


@dataclass(frozen=True)
class BearerPrincipal:
    """A dependency: the principal of a bearer credential of `kind` holding `scope`.

    It says what it authenticates, so the OpenAPI document can state it.
    """

    kind: CredentialKind
    scope: str | None = None

    async def __call__(self, request: Request, database: DatabaseDep) -> Principal:
        lookup, secret = split_token(_bearer_token(request))
        principal = await _principal(request, database, self.kind, lookup, secret)
        if self.scope is not None and self.scope not in principal.scopes:
            raise Forbidden(f"this API key lacks the {self.scope} scope")
        return principal


async def basic_principal(request: Request, database: DatabaseDep) -> Principal:
    """The principal of HTTP Basic credentials."""
    username, password = basic_credentials(request.headers.get("authorization", ""))
    return await _principal(request, database, CredentialKind.BASIC, username, password)


def request_context(request: Request, principal: Principal, source: str) -> RequestContext:
    """The consent evidence of a request."""
    return RequestContext(
        source=source,
        credential_id=principal.credential_id,
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
