"""What the inbound routes need: the company in the path, a principal of that
company for the JSON route, and the evidence of a text.

The Twilio route has no principal: its signature, checked against the company's
auth token, is its credential (see `twilio.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal
from optledger.core.auth.scopes import Scope
from optledger.core.context import RequestContext
from optledger.core.errors import Forbidden
from optledger.web.authentication import BearerPrincipal, request_context

SOURCE = "keyword"

CompanyKey = Annotated[str, Path(max_length=63)]


async def company_inbound_writer(
    company_key: CompanyKey,
    principal: Annotated[
        Principal, Depends(BearerPrincipal(CredentialKind.API_KEY, Scope.INBOUND_WRITE))
    ],
) -> Principal:
    """An `inbound:write` key of the company in the path."""
    if principal.company.key != company_key:
        raise Forbidden("this API key belongs to another company")
    return principal


InboundWriter = Annotated[Principal, Depends(company_inbound_writer)]


def inbound_context(request: Request, principal: Principal | None = None) -> RequestContext:
    """The evidence of an inbound text: who posted it, from where."""
    if principal is not None:
        return request_context(request, principal, SOURCE)
    return RequestContext(
        source=SOURCE,
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
