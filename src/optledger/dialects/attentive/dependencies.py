"""What every Attentive route needs: an API key's principal, by scope, and its evidence.

API keys only: a legacy token or a Basic login here is 401. Errors keep the
Attentive shape, `{"error": {"id", "message"}}` (the default of `dialects.errors`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal
from optledger.core.auth.scopes import Scope
from optledger.core.context import RequestContext
from optledger.web.authentication import BearerPrincipal, request_context

SOURCE = "attentive"


def _holding(scope: str | None) -> object:
    return Depends(BearerPrincipal(CredentialKind.API_KEY, scope))


AnyApiKey = Annotated[Principal, _holding(None)]
SubscriberWriter = Annotated[Principal, _holding(Scope.SUBSCRIPTIONS_WRITE)]
AttributesWriter = Annotated[Principal, _holding(Scope.ATTRIBUTES_WRITE)]
IdentityWriter = Annotated[Principal, _holding(Scope.IDENTITY_WRITE)]
PrivacyWriter = Annotated[Principal, _holding(Scope.PRIVACY_REQUESTS_WRITE)]
MessageReader = Annotated[Principal, _holding(Scope.MESSAGES_READ)]
WebhooksWriter = Annotated[Principal, _holding(Scope.WEBHOOKS_WRITE)]


def attentive_context(
    request: Request, principal: Principal, source: str = SOURCE
) -> RequestContext:
    """The consent evidence of an Attentive request."""
    return request_context(request, principal, source)
