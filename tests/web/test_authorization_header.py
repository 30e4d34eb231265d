"""The one reader of the `Authorization` header, shared by the routes and the lanes."""

from __future__ import annotations

import base64

import httpx
import pytest

from optledger.core.errors import Unauthorized
from optledger.web.authorization import basic_credentials, bearer_token
from tests.conftest import Tenant
from tests.support.helpers import persons, vibes_headers


def encoded(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer olk_1.secret", "olk_1.secret"),
        ("bearer   olk_1.secret  ", "olk_1.secret"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic olk_1.secret", None),
        ("", None),
    ],
)
def test_a_bearer_token_is_read_from_its_scheme_only(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def test_basic_credentials_split_at_the_first_colon() -> None:
    header = f"Basic {encoded(b'olb_1:pass:word')}"
    assert basic_credentials(header) == ("olb_1", "pass:word")
    assert basic_credentials(f"basic {encoded(b'olb_1:')}") == ("olb_1", "")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "HTTP Basic credentials are required"),
        (f"Bearer {encoded(b'a:b')}", "HTTP Basic credentials are required"),
        ("Basic not base64!", "malformed HTTP Basic credentials"),
        (f"Basic {encoded(b'no colon')}", "malformed HTTP Basic credentials"),
        (f"Basic {encoded(bytes([0xFF, 0x3A, 0x61]))}", "malformed HTTP Basic credentials"),
        # What Starlette makes of a header byte above 0x7f (it decodes headers as Latin-1).
        ("Basic \u00e9", "malformed HTTP Basic credentials"),
    ],
)
def test_anything_else_is_unauthorized(header: str, message: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        basic_credentials(header)
    assert refused.value.message == message


@pytest.mark.parametrize("value", [b"Basic \xe9", b"Basic \xff\xfe", b"Basic =", b"Basic"])
async def test_a_garbled_basic_header_is_401_on_the_route_and_its_lane(
    app_client: httpx.AsyncClient, tenant: Tenant, value: bytes
) -> None:
    url = f"{persons(tenant)}/nobody/subscriptions"
    # A good login first, so that the lane has a cached one and is the first to look.
    assert (await app_client.get(url, headers=vibes_headers(tenant))).status_code == 404
    refused = await app_client.get(url, headers={"Authorization": value})  # type: ignore[dict-item]
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
