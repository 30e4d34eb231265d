"""The `Authorization` header, read one way by the FastAPI dependencies and the lanes.

A lane sees the raw header bytes; it decodes them as Latin-1, as Starlette does for
the routes, so that a lane and the route behind it read the same credentials.
"""

from __future__ import annotations

import base64

from optledger.core.errors import Unauthorized


def bearer_token(authorization: str) -> str | None:
    """The token of a `Bearer` header value, or None (another scheme, or no token)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def basic_credentials(authorization: str) -> tuple[str, str]:
    """The username and password of a `Basic` header value, or `Unauthorized`."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("HTTP Basic credentials are required")
    try:
        username, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    # Not base64 (non-ASCII text included), or not UTF-8 once decoded.
    except ValueError:
        raise Unauthorized("malformed HTTP Basic credentials") from None
    if not colon:
        raise Unauthorized("malformed HTTP Basic credentials")
    return username, password
