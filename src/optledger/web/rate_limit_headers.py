"""Rate limits at the dialects' edge: admission per request, and the headers that tell it.

Every authenticated request of a dialect passes `admit` (the FastAPI dependencies
and the lanes both do); `RateLimitHeaders` writes the decision on the response:
`x-ratelimit-limit` and `x-ratelimit-remaining` always, `Retry-After` on a 429.
"""

from __future__ import annotations

import math

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optledger.core.auth.credentials import Principal
from optledger.core.errors import RateLimited
from optledger.observability.request_log import note_company
from optledger.web.rate_limits import RateDecision, RateLimiter

# Where the decision waits in the ASGI scope for the response to leave.
DECISION = "optledger.rate_limit"


def admit(scope: Scope, principal: Principal) -> None:
    """Admit an authenticated request (the FastAPI dependencies and the lanes both
    pass here): name its company for its log line, and count it against its
    credential's limit; `RateLimited` over it."""
    note_company(principal.company.key)
    take_request(scope, principal.credential_id, principal.rate_limit)


def take_request(scope: Scope, bucket: int, per_second: int | None) -> None:
    """Count a request against `bucket`'s limit (None: the server's default), keeping
    the decision for the headers; `RateLimited` over it."""
    state = scope["app"].state
    limiter: RateLimiter = state.rate_limiter
    per_second = per_second or state.settings.default_rate_limit
    decision = limiter.take(bucket, per_second)
    scope[DECISION] = decision
    if not decision.admitted:
        raise RateLimited(
            f"rate limit of {per_second} requests a second exceeded",
            retry_after=decision.retry_after,
        )


class RateLimitHeaders:
    """ASGI middleware: the rate-limit headers of an admitted or refused request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            decision: RateDecision | None = scope.get(DECISION)
            if message["type"] == "http.response.start" and decision is not None:
                headers = MutableHeaders(scope=message)
                headers["x-ratelimit-limit"] = str(decision.limit)
                headers["x-ratelimit-remaining"] = str(decision.remaining)
                if message["status"] == 429:
                    headers["retry-after"] = str(max(math.ceil(decision.retry_after), 1))
            await send(message)

        await self.app(scope, receive, send_with_limits)
