"""The service keeps the promises of its OpenAPI document, on SQLite and PostgreSQL.

Schemathesis reads the document, generates requests for every operation (valid
ones, invalid ones, and boundary cases), sends them to the app in process, and runs
all its default checks on each answer: no server error; every status, content type,
body and header as documented; invalid input refused and valid input not refused
for its shape; the documented credentials required.

The app runs in Schemathesis' own event loop, so it opens its own handle on the
session's migrated database (a handle belongs to the loop that opened it).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python.asgi import shutdown_lifespans
from starlette.types import Receive, Scope, Send
from twilio.request_validator import RequestValidator

from optledger.app import create_app
from optledger.bootstrap import bootstrap_company
from optledger.core.companies import ensure_company, get_company_by_key
from optledger.core.company_settings import TWILIO_AUTH_TOKEN, set_company_setting
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.sql import Connection
from optledger.web.idempotency import MAX_KEY_LENGTH
from tests.conftest import TEST_SECRET, Tenant
from tests.support.operator_helpers import TestOperator, make_operator

COMPANY = "fuzzed"
# The management API is fuzzed on a company of its own: fuzzed revocations and
# archives must not take the credentials and units the other operations use.
MANAGED_COMPANY = "fuzzed-managed"
TWILIO_PATH = "/inbound/twilio/{company_key}"
TWILIO_TOKEN = "twilio-auth-token-for-fuzzing"
BASE_URL = "http://testserver"


class AppUnderTest:
    """Stands for the app each test starts on its own database: Schemathesis keeps
    the app an operation was collected with, and sends its own probes there too."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "requested outside the fuzzed_app fixture"
        await self.app(scope, receive, send)


APP = AppUnderTest()
# A request can fit the schema and still break a rule no JSON Schema states (a phone
# number that is no number, an unknown sign-up source): that is the documented 400,
# not a refusal of the request's shape.
VALID_DATA_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# The document depends on no database: it is read from an app that never starts.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(run_worker_in_process=False)).openapi(),
    config=SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": VALID_DATA_STATUSES}}}
    ),
)
schema.app = APP


@pytest.fixture
async def fuzzed_tenant(database: Database) -> Tenant:
    """The company, bootstrapped (again: it is the same one on every test), with a
    Twilio auth token so that Twilio posts are fuzzed past their signature too."""

    async def apply(connection: Connection) -> Tenant:
        boot = await bootstrap_company(connection, COMPANY, server_secret=TEST_SECRET)
        company = await get_company_by_key(connection, COMPANY)
        await set_company_setting(
            connection, company.id, company.settings, TWILIO_AUTH_TOKEN, TWILIO_TOKEN
        )
        return Tenant(boot=boot, database=database)

    tenant: Tenant = await database.run(apply)
    return tenant


@pytest.fixture
async def fuzzed_operator(database: Database) -> TestOperator:
    """An operator of every company, and the company the management API is fuzzed on."""
    await database.run(lambda connection: ensure_company(connection, MANAGED_COMPANY))
    return await make_operator(database)


@pytest.fixture
def fuzzed_app(database: Database) -> Iterator[None]:
    """The app on the test's database; Schemathesis starts it on its first request,
    in its own event loop, and it opens its own handle on the database."""
    settings = Settings(
        database_url=database.url, secret_key=TEST_SECRET, run_worker_in_process=False
    )
    APP.app = create_app(settings)
    yield
    shutdown_lifespans()
    APP.app = None


def credentials(case: Case, tenant: Tenant, operator: TestOperator) -> dict[str, str]:
    """The tenant's (or the operator's) credential for the security scheme the
    operation documents."""
    basic = f"{tenant.boot.basic.lookup_id}:{tenant.boot.basic.secret}".encode()
    by_scheme = {
        "apiKey": tenant.api_headers,
        "legacyToken": tenant.legacy_headers,
        "basicLogin": {"Authorization": f"Basic {base64.b64encode(basic).decode()}"},
        "operatorToken": operator.headers,
    }
    requirements = case.operation.definition.raw.get("security", [])
    return next((by_scheme[name] for requirement in requirements for name in requirement), {})


def own_company(case: Case) -> None:
    """Name the tenant in the path, unless the path is what the case gets wrong:
    another company's key is only ever a 403."""
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if "company_key" in (case.path_parameters or {}) and not negative_path:
        managed = case.operation.path.startswith("/manage/")
        case.path_parameters["company_key"] = MANAGED_COMPANY if managed else COMPANY


def fresh_idempotency_key(case: Case) -> None:
    """Give a valid key a value of its own, as a client does for each new request:
    generated keys repeat, and a repeated key is answered (422, or the first answer
    again) before anything else looks at the request."""
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable():
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def sign_twilio_post(case: Case) -> None:
    """Sign the form as Twilio would, unless the case leaves the signature out on purpose."""
    if case.operation.path != TWILIO_PATH or "X-Twilio-Signature" not in (case.headers or {}):
        return
    prepared = requests.Request(**case.as_transport_kwargs(base_url=BASE_URL)).prepare()
    body = prepared.body or b""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    form = dict(parse_qsl(text, keep_blank_values=True))
    case.headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(
        prepared.url, form
    )


@schema.parametrize()
@pytest.mark.usefixtures("fuzzed_app")
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    # The app and the company serve every example of an operation: that is the point.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_documented(
    case: Case, fuzzed_tenant: Tenant, fuzzed_operator: TestOperator
) -> None:
    own_company(case)
    fresh_idempotency_key(case)
    sign_twilio_post(case)
    case.call_and_validate(headers=credentials(case, fuzzed_tenant, fuzzed_operator))
