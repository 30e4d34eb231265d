"""Error responses in each dialect's own shape, chosen by the request path."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from optledger.core.errors import ErrorKind
from optledger.observability.logs import error_for_log
from optledger.observability.request_ids import current_request_id

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
    ErrorKind.RATE_LIMITED: 429,
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
        error_for_log(message),
    )
    return JSONResponse({"error": {"id": error_id, "message": message}}, status_code=status)


def log_page_error(status: int, code: str, message: str) -> None:
    """Log an error answered as an HTML page (they carry no id: the request's is logged)."""
    log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "error page request=%s status=%d code=%s message=%s",
        current_request_id.get(),
        status,
        code,
        error_for_log(message),
    )


@dataclass(frozen=True)
class Dialect:
    """One dialect's routes, the paths they live under, and its error shape."""

    router: APIRouter
    prefixes: tuple[str, ...]
    error_shape: ErrorRenderer


def include_dialect(app: FastAPI, dialect: Dialect) -> None:
    """Serve a dialect's routes; errors under its paths take its shape, whether a
    route answered or not (an unknown path, a body refused before routing)."""
    app.include_router(dialect.router)
    shapes: list[tuple[str, ErrorRenderer]] = getattr(app.state, "error_shapes", [])
    shapes += [(prefix, dialect.error_shape) for prefix in dialect.prefixes]
    shapes.sort(key=lambda item: len(item[0]), reverse=True)
    app.state.error_shapes = shapes


def error_response(scope: Scope, status: int, code: str, message: str) -> Response:
    """The error response for a request, in the shape of the dialect its path is in
    (the Attentive shape elsewhere)."""
    shapes: list[tuple[str, ErrorRenderer]] = getattr(scope["app"].state, "error_shapes", [])
    path = scope["path"]
    renderer = next((shape for prefix, shape in shapes if path.startswith(prefix)), None)
    return (renderer or attentive_error)(status, code, message)


def unavailable_response(scope: Scope) -> Response:
    """503 while the database is unreachable, in the request's dialect shape."""
    response = error_response(scope, 503, "UNAVAILABLE", "the database is unreachable; retry later")
    response.headers["Retry-After"] = "5"
    return response
