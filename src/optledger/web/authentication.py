"""FastAPI dependencies that turn request credentials into a principal."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from optledger.core.auth.credentials import CredentialKind, Principal, authenticate, split_token
from optledger.core.context import RequestContext
from optledger.core.errors import Forbidden, Unauthorized
from optledger.storage.database import Database
from optledger.web.principal_cache import PrincipalCache
from optledger.web.rate_limit_headers import admit


async def get_database(request: Request) -> Database:
    """The application's database handle (async: no thread-pool hop per request)."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return token.strip()


async def _principal(
    request: Request, database: Database, kind: CredentialKind, lookup: str, secret: str
) -> Principal:
    cache: PrincipalCache = request.app.state.principal_cache
    principal = cache.get(kind, lookup, secret)
    if principal is None:
        principal = await database.read(
            lambda connection: authenticate(connection, kind, lookup, secret)
        )
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
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("HTTP Basic credentials are required")
    try:
        username, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed HTTP Basic credentials") from None
    if not colon:
        raise Unauthorized("malformed HTTP Basic credentials")
    return await _principal(request, database, CredentialKind.BASIC, username, password)


def request_context(request: Request, principal: Principal, source: str) -> RequestContext:
    """The consent evidence of a request."""
    return RequestContext(
        source=source,
        credential_id=principal.credential_id,
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
