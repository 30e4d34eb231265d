"""Sign-in and sign-out, the dashboard, the company switch; and the console put together.

Pages render on the server and work without script. Every state change is a POST
carrying the session's CSRF token, and answers with a redirect (post, redirect,
get) or, for a form with errors, the same form again with what was typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from optledger.console import (
    audit,
    credentials,
    export,
    imports,
    lists,
    logs,
    message_texts,
    subscribers,
    units,
    webhook_deliveries,
    webhooks,
)
from optledger.console.chart import consent_chart
from optledger.console.forms import read_form
from optledger.console.pages import console_error, render
from optledger.console.sessions import new_session, session_cookies
from optledger.console.viewer import CurrentViewer, SignInRequired, safe_next, sign_in_redirect
from optledger.core.errors import RateLimited, Unauthorized
from optledger.core.operators.sign_in import sign_in
from optledger.core.operators.tokens import MAX_SEARCH
from optledger.core.use_cases.consent_counts import consent_by_day
from optledger.core.use_cases.console_sessions import (
    MAX_FOUND_COMPANIES,
    end_sessions,
    operator_company_of,
    search_operator_companies,
)
from optledger.core.use_cases.dashboard import dashboard_figures
from optledger.web.authentication import DatabaseDep
from optledger.web.errors import Dialect, include_dialect

router = APIRouter(prefix="/console", include_in_schema=False)
MAX_NAME = 100
MAX_PASSWORD = 1024


def _sign_in_page(
    csrf: str, next_page: str | None, *, name: str = "", error: str = "", status: int = 200
) -> Response:
    return render(
        "login.html",
        status,
        title="Sign in",
        csrf=csrf,
        name=name,
        error=error,
        next=safe_next(next_page),
    )


@router.get("/login")
async def sign_in_form(request: Request) -> Response:
    """The sign-in form; it sets the cookie whose token the form carries."""
    cookies = await session_cookies(request)
    session = cookies.read(request) or new_session()
    response = _sign_in_page(session.csrf, request.query_params.get("next"))
    cookies.write(request, response, session)
    return response


@router.post("/login")
async def sign_in_post(request: Request, database: DatabaseDep) -> Response:
    """Check name and password (throttled); a new session on success."""
    cookies = await session_cookies(request)
    # Without the form's cookie a fresh session stands in, whose token no form carries.
    session = cookies.read(request) or new_session()
    form = await read_form(request, session)
    name, password = form.get("name")[:MAX_NAME], form.get("password")[:MAX_PASSWORD]
    client_ip = request.client.host if request.client else None
    try:
        operator = await sign_in(database, name, password, client_ip)
    except (Unauthorized, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 401
        return _sign_in_page(
            session.csrf, form.get("next"), name=name, error=exc.message, status=status
        )
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    cookies.write(request, response, new_session(operator.name, operator.session_epoch))
    return response


@router.post("/logout")
async def sign_out(request: Request, viewer: CurrentViewer, database: DatabaseDep) -> Response:
    """End the operator's sessions, this one and any copy of its cookie."""
    await read_form(request, viewer.session)
    await end_sessions(database, viewer.operator.operator_id, actor=viewer.actor)
    response = RedirectResponse("/console/login", status_code=303)
    viewer.cookies.clear(response)
    return response


@router.get("/companies")
async def find_companies(
    viewer: CurrentViewer,
    database: DatabaseDep,
    q: Annotated[str, Query(max_length=MAX_SEARCH)] = "",
) -> Response:
    """The operator's companies whose key or name contains `q`, each with a switch."""
    found = await search_operator_companies(database, viewer.operator, q)
    return render(
        "companies.html",
        title="Companies",
        viewer=viewer,
        q=q,
        companies=found,
        bounded=len(found) >= MAX_FOUND_COMPANIES,
    )


@router.post("/company")
async def switch_company(
    request: Request, viewer: CurrentViewer, database: DatabaseDep
) -> Response:
    """Look at another of the operator's companies."""
    form = await read_form(request, viewer.session)
    key = (await operator_company_of(database, viewer.operator, form.get("company"))).key
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    viewer.cookies.write(request, response, viewer.session.in_company(key))
    return response


@router.get("")
async def dashboard(
    viewer: CurrentViewer,
    database: DatabaseDep,
    days: Annotated[int, Query(ge=7, le=90)] = 30,
) -> Response:
    """How the company's list is doing: subscribers, consent changes, messages,
    webhooks, the ledger; and opt-ins and opt-outs per day."""
    company = viewer.company
    chart = figures = None
    if company is not None:
        today = datetime.now(UTC).date()
        chart = consent_chart(await consent_by_day(database, company.id, today, days))
        figures = await dashboard_figures(database, company.id, today)
    return render(
        "dashboard.html", title="Dashboard", viewer=viewer, chart=chart, days=days, figures=figures
    )


for section in (
    units,
    subscribers,
    logs,
    message_texts,
    credentials,
    audit,
    imports,
    export,
    lists,
    webhooks,
    webhook_deliveries,
):
    router.include_router(section.router)

DIALECT = Dialect(router, prefixes=("/console",), error_shape=console_error)


def install_console(app: FastAPI) -> None:
    """Serve the console, its assets, and its sign-in redirect."""
    include_dialect(app, DIALECT)
    static = StaticFiles(packages=[("optledger.console", "static")])
    app.mount("/console/static", static, name="console-static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)
