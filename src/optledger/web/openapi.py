"""The served OpenAPI document, made true to what the service answers.

FastAPI documents each route's success, and a 422 `HTTPValidationError` that never
leaves: validation failures are 400s in the dialect's own error shape. The document
is amended once, operation by operation: the error responses it can give (each in
its dialect's shape), the credential it takes, the headers its responses carry, and
`Idempotency-Key` on writes. A route documents what only it answers (a 409, a 404
with no id in its path) with `responses=`: its description is kept, joined with the
reasons every operation shares, and its dialect's error schema is added here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.dialects.manage.errors import ManageError, manage_error
from optledger.dialects.vibes.dependencies import vibes_error
from optledger.web.authentication import BearerPrincipal, basic_principal
from optledger.web.errors import ErrorRenderer, attentive_error
from optledger.web.idempotency import MAX_KEY_LENGTH
from optledger.web.routing import leaf_routes

Json = dict[str, Any]


class AttentiveErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="Names the error in the server's log, for support.")
    message: str


class AttentiveError(BaseModel):
    """`{"error": {"id", "message"}}`: the Attentive, legacy and inbound dialects."""

    model_config = ConfigDict(extra="forbid")

    error: AttentiveErrorDetail


class VibesErrorItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="A stable machine-readable name, such as INVALID_MDN.")
    message: str


class VibesError(BaseModel):
    """`{"errors": [{"code", "message"}]}`: the Vibes dialect."""

    model_config = ConfigDict(extra="forbid")

    errors: list[VibesErrorItem] = Field(min_length=1)


def _header(description: str, schema: Json, *, required: bool = False) -> Json:
    return {"description": description, "required": required, "schema": schema}


def _refs(names: dict[str, str]) -> dict[str, Json]:
    return {header: {"$ref": f"#/components/headers/{name}"} for header, name in names.items()}


# Documented once under `components/headers`, referred to from each response.
HEADERS: dict[str, Json] = {
    "RequestId": _header(
        "Names the request in the server's log.", {"type": "string"}, required=True
    ),
    "RateLimitLimit": _header(
        "Requests a second the credential may make.", {"type": "integer", "minimum": 1}
    ),
    "RateLimitRemaining": _header(
        "Requests the credential may still make this second.", {"type": "integer", "minimum": 0}
    ),
    "RetryAfter": _header(
        "Seconds to wait before retrying.", {"type": "integer", "minimum": 1}, required=True
    ),
    "BasicChallenge": _header("The HTTP Basic challenge.", {"type": "string"}, required=True),
    "BearerChallenge": _header("The bearer challenge.", {"type": "string"}, required=True),
    "IdempotentReplayed": _header(
        "`true` on the kept answer to an earlier request with the same Idempotency-Key.",
        {"type": "string", "enum": ["true"]},
    ),
}
# Every response, errors included, names its request.
REQUEST_ID = _refs({"x-request-id": "RequestId"})
# Written once the credential is admitted: absent on a 401.
RATE_LIMIT = _refs(
    {"x-ratelimit-limit": "RateLimitLimit", "x-ratelimit-remaining": "RateLimitRemaining"}
)
RETRY_AFTER = _refs({"Retry-After": "RetryAfter"})
REPLAYED = _refs({"idempotent-replayed": "IdempotentReplayed"})


@dataclass(frozen=True)
class ErrorShape:
    """A dialect's error body, and the headers it adds to some statuses."""

    model: type[BaseModel]
    headers: dict[int, dict[str, Json]] = field(default_factory=dict)


SHAPES: dict[ErrorRenderer, ErrorShape] = {
    attentive_error: ErrorShape(AttentiveError),
    vibes_error: ErrorShape(VibesError, {401: _refs({"WWW-Authenticate": "BasicChallenge"})}),
    manage_error: ErrorShape(ManageError, {401: _refs({"WWW-Authenticate": "BearerChallenge"})}),
}

SECURITY_SCHEMES: dict[str, Json] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`olk_...`) of the Attentive and inbound dialects.",
    },
    "legacyToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A legacy token (`oll_...`) of the legacy dialect.",
    },
    "basicLogin": {
        "type": "http",
        "scheme": "basic",
        "description": "The company's login of the Vibes dialect.",
    },
    "operatorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An operator's token (`olo_...`) of the management API.",
    },
}
SCHEME_OF_KIND = {
    CredentialKind.API_KEY: "apiKey",
    CredentialKind.LEGACY_TOKEN: "legacyToken",
    CredentialKind.BASIC: "basicLogin",
}

DESCRIPTIONS = {
    400: "The request is malformed, or breaks a rule of the ledger.",
    401: "No credentials, or credentials that do not authenticate.",
    403: "The credentials may not do this: they lack its scope, or the path names another company.",
    404: "Nothing by this id exists for the company.",
    409: "A request with this Idempotency-Key is still running.",
    413: "The request body is over the server's size limit.",
    422: "This Idempotency-Key came with a different request before.",
    429: "The credential is over its rate limit.",
    503: "The database is unreachable.",
}
IDEMPOTENCY_KEY: Json = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Runs a retried write once: a repeat with the same key and request gets "
    "the first answer again, for a day. Keys are per credential.",
    # Printable ASCII, as `dialects.idempotency` accepts.
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[ -~]+$",
    },
}
# The methods of the routes `dialects.idempotency` serves.
WRITES = {"post", "put", "delete"}
# The path parameter that names the tenant: a wrong one is a 403, never a 404.
TENANT_PARAMETER = "company_key"


@dataclass(frozen=True)
class Credential:
    """What a route authenticates: a security scheme, and the scope it must hold."""

    scheme: str
    scope: str | None


def install_openapi(app: FastAPI) -> None:
    """Serve the amended document at the app's OpenAPI URL (built on first request)."""
    fastapi_document = app.openapi

    def openapi() -> Json:
        if app.openapi_schema is None:
            # A copy of its own: the amendments share dicts a reader might change.
            app.openapi_schema = copy.deepcopy(amend_openapi(app, fastapi_document()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def amend_openapi(app: FastAPI, document: Json) -> Json:
    """Amend FastAPI's document of `app` (in place) to what the service answers."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(_error_schemas())
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = HEADERS
    routes = {
        (route.path, method.lower()): route
        for route in leaf_routes(app.routes)
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    error_shapes: list[tuple[str, ErrorRenderer]] = getattr(app.state, "error_shapes", [])
    for path, operations in document["paths"].items():
        # As `errors.error_response` chooses: the longest prefix, else the Attentive shape.
        renderer = next((r for prefix, r in error_shapes if path.startswith(prefix)), None)
        shape = SHAPES[renderer or attentive_error]
        for method, operation in operations.items():
            credential = _credential(routes[(path, method)].dependant)
            _amend(operation, method, credential, shape)
    return document


def _error_schemas() -> dict[str, Json]:
    models = [(shape.model, "serialization") for shape in SHAPES.values()]
    _, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    found: dict[str, Json] = definitions["$defs"]
    return found


def _credential(dependant: Dependant) -> Credential | None:
    """The credential a route's dependencies authenticate, as `dialects.auth` makes them:
    `basic_principal`, or a `BearerPrincipal(kind, scope)`; or as a dependency declares
    it in `openapi_credential` (scheme, scope), as the management API's does."""
    for dependency in dependant.dependencies:
        call: Callable[..., Any] | None = dependency.call
        declared: tuple[str, str | None] | None = getattr(call, "openapi_credential", None)
        if declared is not None:
            return Credential(*declared)
        if call is basic_principal:
            return Credential(SCHEME_OF_KIND[CredentialKind.BASIC], None)
        if isinstance(call, BearerPrincipal):
            return Credential(SCHEME_OF_KIND[call.kind], call.scope)
        found = _credential(dependency)
        if found is not None:
            return found
    return None


def _statuses(
    operation: Json, method: str, credential: Credential | None, path_parameters: set[str]
) -> set[int]:
    """The error statuses every operation like this one can answer."""
    statuses = {503}
    if operation.get("parameters") or "requestBody" in operation or method in WRITES:
        statuses.add(400)
    if credential is not None:
        statuses |= {401, 429}
        if credential.scope is not None or TENANT_PARAMETER in path_parameters:
            statuses.add(403)
    if path_parameters - {TENANT_PARAMETER}:
        statuses.add(404)
    if "requestBody" in operation:
        statuses.add(413)
    if method in WRITES and credential is not None:
        statuses |= {409, 422}
    return statuses


def _amend(operation: Json, method: str, credential: Credential | None, shape: ErrorShape) -> None:
    parameters: list[Json] = operation.get("parameters", [])
    path_parameters = {p["name"] for p in parameters if p["in"] == "path"}
    responses: dict[str, Json] = operation["responses"]
    # FastAPI's, for input that in fact leaves as a 400 (a route's own 422 stays).
    if "HTTPValidationError" in str(responses.get("422", {})):
        del responses["422"]
    for status in _statuses(operation, method, credential, path_parameters):
        declared = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        if declared["description"] != DESCRIPTIONS[status]:
            declared["description"] += f"\n\n{DESCRIPTIONS[status]}"
    if credential is not None:
        operation["security"] = [{credential.scheme: []}]
        if credential.scope is not None:
            needs = f"Needs the `{credential.scope}` scope."
            operation["description"] = f"{operation.get('description', '')}\n\n{needs}".strip()
    # Keys are per credential: a route signed otherwise (Twilio's) takes none.
    keyed = method in WRITES and credential is not None
    if keyed:
        operation["parameters"] = [*parameters, IDEMPOTENCY_KEY]
    for status_text, response in responses.items():
        status = int(status_text)
        headers = response.setdefault("headers", {})
        headers.update(REQUEST_ID)
        if credential is not None:
            headers.update(RATE_LIMIT)
        if keyed:
            headers.update(REPLAYED)
        if status in (429, 503):
            headers.update(RETRY_AFTER)
        if status >= 400:
            headers.update(shape.headers.get(status, {}))
            schema = {"$ref": f"#/components/schemas/{shape.model.__name__}"}
            response["content"] = {"application/json": {"schema": schema}}
    operation["responses"] = dict(sorted(responses.items()))
