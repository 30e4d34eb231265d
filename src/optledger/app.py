"""The ASGI application: dialect routers over one database, one error policy."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from optledger import __version__
from optledger.console.imports import UPLOAD_PATH, upload_limit
from optledger.console.routes import install_console
from optledger.core.contact_points import mask_contact_points
from optledger.core.errors import OptledgerError
from optledger.delivery.transports.configured import configured_transports
from optledger.delivery.worker import DeliveryPolicy, configured_webhooks, run_workers
from optledger.dialects.attentive.eligibility_lane import ELIGIBILITY_LANE
from optledger.dialects.attentive.messages import router as messages_router
from optledger.dialects.attentive.routes import DIALECT as ATTENTIVE
from optledger.dialects.consent_pages.routes import DIALECT as CONSENT_PAGES
from optledger.dialects.inbound.routes import DIALECT as INBOUND
from optledger.dialects.legacy.routes import DIALECT as LEGACY
from optledger.dialects.manage.routes import DIALECT as MANAGE
from optledger.dialects.vibes.lookup_lane import SUBSCRIPTIONS_LANE
from optledger.dialects.vibes.routes import DIALECT as VIBES
from optledger.observability.heartbeats import watch_for_workers
from optledger.observability.request_ids import RequestIds
from optledger.observability.request_log import ObserveRequests
from optledger.observability.scrape import metrics_response
from optledger.settings import Settings, get_settings
from optledger.storage.database import Database, DatabaseUnavailable
from optledger.storage.first_analysis import analyse_while_fresh
from optledger.storage.migrate import upgrade_database
from optledger.storage.readiness import readiness
from optledger.web.api_docs import install_api_docs
from optledger.web.control_characters import (
    ControlCharactersInBody,
    ControlCharactersInRequestLine,
)
from optledger.web.errors import (
    STATUS_BY_KIND,
    error_response,
    include_dialect,
    unavailable_response,
)
from optledger.web.idempotency import IdempotencyKeys
from optledger.web.lanes import Lanes
from optledger.web.limits import BodySizeLimit
from optledger.web.openapi import install_openapi
from optledger.web.principal_cache import PrincipalCache
from optledger.web.rate_limit_headers import RateLimitHeaders
from optledger.web.rate_limits import RateLimiter
from optledger.web.routing import allowed_methods

log = logging.getLogger(__name__)

LANES = (ELIGIBILITY_LANE, SUBSCRIPTIONS_LANE)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(str(item) for item in error.get("loc", ()) if item != "body")
        if error.get("type") == "json_invalid":
            return "request body is not valid JSON"
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Every failure leaves in its dialect's error shape, never as a bare 500 page."""

    @app.exception_handler(OptledgerError)
    async def domain_error(request: Request, exc: OptledgerError) -> Response:
        return error_response(request.scope, STATUS_BY_KIND[exc.kind], exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.scope, 400, "INVALID", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(request.scope, exc.status_code, "HTTP", str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request.scope)
        return response

    @app.exception_handler(DatabaseUnavailable)
    async def database_down(request: Request, exc: DatabaseUnavailable) -> Response:
        return unavailable_response(request.scope)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        path = mask_contact_points(request.url.path)  # Vibes paths name people by email
        log.exception("unhandled error on %s %s", request.method, path)
        return error_response(request.scope, 500, "INTERNAL", "internal error")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application; it owns `database` unless one is passed in."""
    settings = settings or get_settings()
    owns_database = database is None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database(
            settings.resolved_database_url, read_url=settings.read_database_url
        )
        if owns_database and settings.is_sqlite:
            await upgrade_database(settings.resolved_database_url)
        app.state.database = db
        app.state.principal_cache = PrincipalCache(settings.credential_cache_seconds)
        app.state.rate_limiter = RateLimiter(settings.server_processes)
        app.state.settings = settings
        # Everything loaded so far lives as long as the process: keep the collector
        # from scanning it again, or each full collection stalls every request.
        gc.collect()
        gc.freeze()
        stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            background = None
            analysis = None
            if owns_database and not db.is_sqlite:
                analysis = asyncio.create_task(analyse_while_fresh(db, stop))
            if not settings.worker_in_process and owns_database:
                # Otherwise double opt-in prompts wait in the outbox with no one to send them.
                log.warning(
                    "this server sends no messages: run `optledger worker` beside it "
                    "(or set OPTLEDGER_RUN_WORKER_IN_PROCESS=true)"
                )
                background = asyncio.create_task(watch_for_workers(db, stop))
            if settings.worker_in_process:
                transports = await stack.enter_async_context(configured_transports(settings))
                policy = DeliveryPolicy.from_settings(settings)
                webhooks = await stack.enter_async_context(configured_webhooks(settings))
                background = asyncio.create_task(
                    run_workers(db, transports, stop, policy, webhooks=webhooks)
                )
            try:
                yield
            finally:
                stop.set()
                for task in (background, analysis):
                    if task is not None:
                        await task
                if owns_database:
                    await db.dispose()

    # FastAPI's own documentation pages load from a CDN: `install_api_docs` serves them.
    app = FastAPI(
        title="optledger",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    for dialect in (ATTENTIVE, INBOUND, LEGACY, VIBES, MANAGE):
        include_dialect(app, dialect)
    # The pages behind the links in emails: HTML, errors included; not in the API document.
    include_dialect(app, CONSENT_PAGES)
    # The operator's console: pages too, signed in with a session cookie.
    install_console(app)
    # The operator's message log sits under /v1/: the Attentive shape.
    app.include_router(messages_router)
    install_openapi(app)
    install_api_docs(app)
    # Inside the body limit: an oversized body is refused before it is hashed.
    app.add_middleware(IdempotencyKeys)
    # Outside the idempotency keys: a refused body is no answer to keep under a key.
    app.add_middleware(ControlCharactersInBody)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        read_timeout=settings.body_read_timeout_seconds,
        streamed={("POST", UPLOAD_PATH): upload_limit(settings)},
    )
    app.add_middleware(Lanes, routes=LANES)
    app.add_middleware(ControlCharactersInRequestLine)
    app.add_middleware(RateLimitHeaders)
    # Outside the lanes, so that requests they answer are counted and logged too.
    app.add_middleware(ObserveRequests, lanes=LANES)
    app.add_middleware(RequestIds)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves (no database, no credentials)."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """Readiness: the primary answers at this release's schema; names the roles reached."""
        found = await readiness(request.app.state.database)
        database = {"role": found.role, "reads": found.read_role or found.role}
        if found.problem is not None:
            return JSONResponse(
                {"status": "unavailable", "reason": found.problem, "database": database},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "ok", "database": database})

    # Loopback clients or the metrics token only (see `observability.scrape`).
    app.add_api_route("/metrics", metrics_response, methods=["GET"], include_in_schema=False)
    return app
