"""Error responses in each dialect's own shape, chosen by the request path."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from optledger.core.contact_points import mask_contact_points
from optledger.core.errors import ErrorKind
from optledger.dialects.request_ids import current_request_id

log = logging.getLogger("optledger.errors")

# status, code, message -> response
ErrorRenderer = Callable[[int, str, str], Response]

STATUS_BY_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNPROCESSABLE: 422,
}


def attentive_error(status: int, code: str, message: str) -> Response:
    """`{"error": {"id", "message"}}`; the id is logged so support can find the request."""
    error_id = secrets.randbits(62)
    log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "error id=%d request=%s status=%d code=%s message=%s",
        error_id,
        current_request_id.get(),
        status,
        code,
        mask_contact_points(message),
    )
    return JSONResponse({"error": {"id": error_id, "message": message}}, status_code=status)


_renderers: list[tuple[str, ErrorRenderer]] = []


def register_error_shape(path_prefix: str, renderer: ErrorRenderer) -> None:
    """Make errors under `path_prefix` use `renderer` (the default is Attentive's)."""
    _renderers.append((path_prefix, renderer))
    _renderers.sort(key=lambda item: len(item[0]), reverse=True)


def error_response(path: str, status: int, code: str, message: str) -> Response:
    """The error response for `path` in its dialect's shape."""
    for prefix, renderer in _renderers:
        if path.startswith(prefix):
            return renderer(status, code, message)
    return attentive_error(status, code, message)
