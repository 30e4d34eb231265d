"""One operation through every door stores one thing: creating a sign-up unit from the
management API, the CLI and the console, typed the way each door's users type.

The doors only translate; the core's use case normalises (case, trimming, empty texts).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from optledger.core.use_cases.units import list_units
from tests.conftest import Tenant
from tests.support.console_forms import post_form
from tests.support.helpers import run_optledger
from tests.support.operator_helpers import make_operator

DISCLOSURE = "Weekly deals. Msg & data rates may apply. Reply STOP to cancel."
# Each door's name for the unit; the rest is typed the same, loosely, everywhere.
NAMES = {"api": "Spring (API)", "cli": "Spring (CLI)", "console": "Spring (console)"}


def stored(unit: Any) -> dict[str, Any]:
    """What a unit holds, less what differs by nature (its id, name and time)."""
    return {
        name: value
        for name, value in dataclasses.asdict(unit).items()
        if name not in {"id", "name", "created_at"}
    }


async def test_a_unit_created_from_each_door_is_stored_alike(
    tenant: Tenant, console: httpx.AsyncClient, operator: str, app_client: httpx.AsyncClient
) -> None:
    manager = await make_operator(tenant.database, [tenant.key])
    made = await app_client.post(
        f"/manage/v1/companies/{tenant.key}/units",
        headers=manager.headers,
        json={
            "name": f"  {NAMES['api']} ",
            "type": "MARKETING",
            "channels": ["TEXT", "EMAIL"],
            "locale": {"language": "EN", "country": "us"},
            "legal_disclosure": f" {DISCLOSURE}  ",
            "welcome_text": "  Welcome aboard!  ",
            "allow_single_opt_in": True,
        },
    )
    assert made.status_code == 201, made.text

    done = run_optledger(
        tenant.database, "units", "create", "--company", tenant.key,
        "--name", f"  {NAMES['cli']} ", "--type", "MARKETING",
        "--channel", "TEXT", "--channel", "EMAIL", "--language", "EN", "--country", "us",
        "--disclosure", f" {DISCLOSURE}  ", "--welcome", "  Welcome aboard!  ",
        "--prompt", "   ", "--method", "api", "--allow-single-opt-in",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    posted = await post_form(
        console,
        "/console/units/new",
        "/console/units/new",
        name=f"  {NAMES['console']} ",
        type="MARKETING",
        method="API",
        channels=["TEXT", "EMAIL"],
        language="EN",
        country="us",
        legal_disclosure=f" {DISCLOSURE}  ",
        welcome_text="  Welcome aboard!  ",
        confirmation_prompt="   ",
        allow_single_opt_in="on",
        double_opt_in="on",
        welcome_on_single_opt_in="on",
    )
    assert posted.status_code == 303, posted.text

    units = {unit.name: unit for unit in await list_units(tenant.database, tenant.company_id)}
    api, cli, form = (units[NAMES[door]] for door in ("api", "cli", "console"))
    assert stored(api) == stored(cli) == stored(form)
    assert (api.language, api.country) == ("en", "US")
    assert api.legal_disclosure == DISCLOSURE
    assert api.welcome_text == "Welcome aboard!"
    assert api.confirmation_prompt is None
    assert api.method == "API"
