"""The lane of `GET /companies/{ck}/mobiledb/persons/{person_key}/subscriptions`
(see `dialects.lanes`): the Vibes dialect's hot read."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from starlette.responses import Response

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.errors import Unauthorized
from optledger.dialects.vibes.dependencies import PREFIX
from optledger.dialects.vibes.subscriptions import subscriptions_answer
from optledger.web.authorization import basic_credentials
from optledger.web.lanes import LaneRequest, LaneRoute
from optledger.web.rate_limit_headers import admit

_PATH = re.compile(rf"^{PREFIX}/([^/]{{1,63}})/mobiledb/persons/([^/]{{1,64}})/subscriptions$")
_BOOLEANS = {"true": True, "false": False}


async def subscriptions_lane(request: LaneRequest) -> Response | None:
    """A person's records for Basic credentials in the cache, of the company in the path."""
    found = _PATH.match(request.scope["path"])
    if found is None:
        return None
    company_key, person_key = unquote(found[1]), unquote(found[2])
    if person_key == "external":
        return None
    try:
        username, password = basic_credentials(request.header(b"authorization").decode("latin-1"))
    except Unauthorized:
        return None
    principal = request.cache.get(CredentialKind.BASIC, username, password)
    if principal is None or principal.company.key != company_key:
        return None
    params = dict(parse_qsl(request.scope["query_string"].decode("latin-1")))
    if set(params) - {"active_only"} or params.get("active_only", "false") not in _BOOLEANS:
        return None
    active_only = _BOOLEANS[params.get("active_only", "false")]
    admit(request.scope, principal)
    return await subscriptions_answer(
        request.database, principal.company.id, company_key, person_key, active_only
    )


SUBSCRIPTIONS_LANE = LaneRoute(
    matches=lambda path: bool(_PATH.match(path)),
    lane=subscriptions_lane,
    template=f"{PREFIX}/{{company_key}}/mobiledb/persons/{{person_key}}/subscriptions",
)
