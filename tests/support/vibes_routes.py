"""The Vibes dialect's routes, whose paths name the company: shared by its isolation
matrix and the log tests."""

from __future__ import annotations

import re

from tests.conftest import Tenant
from tests.support.openapi import documented

VIBES_ROUTES = sorted(
    (method, path) for method, path in documented() if path.startswith("/companies/")
)


def vibes_url(path: str, tenant: Tenant, **values: str) -> str:
    """A documented Vibes path filled in for `tenant`; other parameters by their names."""
    known = {
        "company_key": tenant.key,
        "subscription_list_id": "1",
        "campaign_id": tenant.unit_id("MARKETING"),
        **values,
    }
    return re.sub(r"\{(\w+)\}", lambda found: known.get(found[1], found[1]), path)
