"""What every legacy route needs: the principal of a legacy token, and its evidence.

Legacy tokens and API keys are separate both ways: an API key here is 401, and a
legacy token is 401 on the other dialects. Errors keep the Attentive shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal
from optledger.core.context import RequestContext
from optledger.web.authentication import BearerPrincipal, request_context

SOURCE = "legacy"

LegacyPrincipal = Annotated[Principal, Depends(BearerPrincipal(CredentialKind.LEGACY_TOKEN))]


def legacy_context(request: Request, principal: Principal) -> RequestContext:
    """The consent evidence of a legacy request."""
    return request_context(request, principal, SOURCE)
