"""What every `/manage/v1/` route needs: an operator's token, and the company it names.

Operators authenticate with their own tokens (`Authorization: Bearer olo_...`),
never a company's credentials. A company outside the operator's list is 403, as is
an unknown key for an operator limited to a few (see `operator_company`). Errors take
`dialects.manage.errors.manage_error`'s shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.dependencies.models import Dependant

from optledger.core.audit import Actor
from optledger.core.errors import InvalidInput, Unauthorized
from optledger.core.operators.tokens import OperatorPrincipal
from optledger.core.use_cases.companies import CompanyRow
from optledger.core.use_cases.operators import authenticate_operator, operator_company
from optledger.observability.request_log import note_company
from optledger.web.authentication import DatabaseDep
from optledger.web.authorization import bearer_token
from optledger.web.principal_cache import ExpiringCache, secret_digest
from optledger.web.rate_limit_headers import take_request

PREFIX = "/manage/v1"
SCHEME = "operatorToken"
MAX_CACHED = 1_000


def _cache(request: Request) -> ExpiringCache[OperatorPrincipal]:
    """Operators by presented token, for the credential cache's time: a revoked token,
    or a changed company list, takes effect within it."""
    state = request.app.state
    cache: ExpiringCache[OperatorPrincipal] | None = getattr(state, "operator_cache", None)
    if cache is None:
        cache = ExpiringCache(state.settings.credential_cache_seconds, MAX_CACHED)
        state.operator_cache = cache
    return cache


class OperatorToken:
    """A dependency: the operator of the request's bearer token."""

    # Read by `dialects.openapi`: the security scheme these routes document.
    openapi_credential = (SCHEME, None)

    async def __call__(self, request: Request, database: DatabaseDep) -> OperatorPrincipal:
        token = bearer_token(request.headers.get("authorization", ""))
        if token is None:
            raise Unauthorized("an operator token is required (Authorization: Bearer olo_...)")
        digest = secret_digest(token)
        cache = _cache(request)
        principal = cache.get(digest)
        if principal is None:
            principal = await authenticate_operator(database, token)
            cache.put(digest, principal)
        # Negative buckets: the limiter's others are company credential ids.
        take_request(request.scope, -principal.token_id, None)
        return principal


Operator = Annotated[OperatorPrincipal, Depends(OperatorToken())]


async def acting_operator(request: Request, principal: Operator) -> Actor:
    """Who a change is made by, for the audit trail: the token's operator and the
    client's address."""
    return Actor(principal.name, request.client.host if request.client else None)


ActingOperator = Annotated[Actor, Depends(acting_operator)]


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


async def only_known_query(request: Request, principal: Operator) -> None:
    """Refuse query parameters the route does not take (after the token: a 401 first):
    a misspelt filter would otherwise be a silent no-op."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    known = _query_names(dependant) if dependant is not None else set()
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidInput(f"unknown query parameters: {', '.join(map(repr, unknown[:5]))}")


# Keys are url-safe (`core.companies`); anything else names no company.
CompanyKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


async def managed_company(
    company_key: CompanyKey, principal: Operator, database: DatabaseDep
) -> CompanyRow:
    """The company in the path, if the operator sees it."""
    company = await operator_company(database, principal, company_key)
    note_company(company.key)
    return company


ManagedCompany = Annotated[CompanyRow, Depends(managed_company)]

# Documented on every route under /companies/{company_key}/ (their 403 is implied).
COMPANY_RESPONSES: dict[int | str, dict[str, str]] = {
    404: {"description": "No company has this key (said only to an operator of every company)."}
}
