"""The management API's error shape: `{"error": {"code", "message", "request_id"}}`."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from optledger.observability.logs import error_for_log
from optledger.observability.request_ids import current_request_id

log = logging.getLogger("optledger.errors")


class ManageErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="A stable machine-readable name, such as NOT_FOUND.")
    message: str
    request_id: str = Field(description="Names the request in the server's log.")


class ManageError(BaseModel):
    """`{"error": {"code", "message", "request_id"}}`: the management API."""

    model_config = ConfigDict(extra="forbid")

    error: ManageErrorDetail


def manage_error(status: int, code: str, message: str) -> Response:
    """`{"error": {"code", "message", "request_id"}}`; the request id is in the log line."""
    request_id = current_request_id.get() or ""
    log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "error request=%s status=%d code=%s message=%s",
        request_id,
        status,
        code,
        error_for_log(message),
    )
    body = {"error": {"code": code, "message": message, "request_id": request_id}}
    response = JSONResponse(body, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="optledger-manage"'
    return response
