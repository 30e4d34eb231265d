"""What every Vibes route needs: a Basic principal of the company in the path, its
evidence, and the Vibes error shape.

Credentials open their own company only: another company's key in the path is 403
and shows nothing of it. Errors are `{"errors": [{"code", "message"}]}`; a 401
carries `WWW-Authenticate: Basic`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.responses import JSONResponse, Response

from optledger.core.auth.credentials import Principal
from optledger.core.context import RequestContext
from optledger.core.errors import Forbidden
from optledger.web.authentication import basic_principal, request_context

PREFIX = "/companies"
SOURCE = "vibes"


def vibes_error(status: int, code: str, message: str) -> Response:
    """`{"errors": [{"code", "message"}]}`."""
    response = JSONResponse({"errors": [{"code": code, "message": message}]}, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="optledger"'
    return response


CompanyKey = Annotated[str, Path(max_length=63)]
PersonKey = Annotated[str, Path(min_length=1, max_length=64)]
ExternalId = Annotated[str, Path(min_length=1, max_length=128)]


async def company_principal(
    company_key: CompanyKey, principal: Annotated[Principal, Depends(basic_principal)]
) -> Principal:
    """The Basic principal, if the company in the path is its own."""
    if principal.company.key != company_key:
        raise Forbidden("these credentials belong to another company")
    return principal


VibesPrincipal = Annotated[Principal, Depends(company_principal)]


def vibes_context(request: Request, principal: Principal) -> RequestContext:
    """The consent evidence of a Vibes request."""
    return request_context(request, principal, SOURCE)


def vibes_time(moment: datetime | None) -> str | None:
    """ISO-8601 UTC as Vibes writes it: `2017-01-15T15:34:00Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
