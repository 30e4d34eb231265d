"""The lane of `GET /v1/subscriptions` (see `dialects.lanes`)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import Response

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import split_token
from optledger.core.auth.scopes import Scope as AuthScope
from optledger.core.errors import Unauthorized
from optledger.dialects.attentive.subscriptions import (
    MAX_EMAIL_QUERY,
    MAX_PHONE_QUERY,
    eligibility_answer,
)
from optledger.web.authorization import bearer_token
from optledger.web.lanes import LaneRequest, LaneRoute
from optledger.web.rate_limit_headers import admit

PATH = "/v1/subscriptions"


async def eligibility_lane(request: LaneRequest) -> Response | None:
    """Eligibility for an API key in the cache holding `subscriptions:write`."""
    token = bearer_token(request.header(b"authorization").decode("latin-1"))
    if token is None:
        return None
    try:
        credential = split_token(token)
    except Unauthorized:
        return None
    principal = request.cache.get(CredentialKind.API_KEY, *credential)
    if principal is None or AuthScope.SUBSCRIPTIONS_WRITE not in principal.scopes:
        return None
    query = request.scope["query_string"].decode("latin-1")
    params = dict(parse_qsl(query, keep_blank_values=True))
    phone, email = params.get("phone"), params.get("email")
    if len(params) != (phone is not None) + (email is not None) or (
        len(phone or "") > MAX_PHONE_QUERY or len(email or "") > MAX_EMAIL_QUERY
    ):
        return None
    admit(request.scope, principal)
    return await eligibility_answer(request.database, principal.company.id, phone, email)


ELIGIBILITY_LANE = LaneRoute(
    matches=lambda path: path == PATH, lane=eligibility_lane, template=PATH
)
