"""Sign-up units: where consent is collected, and how a request finds its unit."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from optledger.core.catalog import Catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import InvalidInput, NotFound, SignUpUnitNotResolved
from optledger.core.ids import parse_stored_id
from optledger.storage.repositories.companies import bump_version
from optledger.storage.repositories.units import NewUnit, UnitRow, insert_unit, set_unit_status
from optledger.storage.sql import Connection
from optledger.storage.types import utcnow

ACTIVE = "active"
ARCHIVED = "archived"
API_METHOD = "API"
METHODS = ("API", "KEYWORD", "FORM", "IMPORT")


@dataclass(frozen=True)
class Locale:
    """A language and a country, as in `en` / `US`."""

    language: str
    country: str

    @property
    def tag(self) -> str:
        """The BCP 47 tag, e.g. `en-US`."""
        return f"{self.language}-{self.country}"


@dataclass
class UnitSpec:
    """What it takes to create a sign-up unit."""

    name: str
    subscription_type: SubscriptionType
    channels: Sequence[Channel]
    locale: Locale
    method: str = API_METHOD
    legal_disclosure: str | None = None
    confirmation_prompt: str | None = None
    welcome_text: str | None = None
    keywords: list[str] = field(default_factory=list)
    double_opt_in: bool = True
    email_double_opt_in: bool = False
    allow_single_opt_in: bool = False


async def create_sign_up_unit(connection: Connection, company_id: int, spec: UnitSpec) -> UnitRow:
    """Create an active unit after checking the rules every unit must keep."""
    if spec.method not in METHODS:
        raise InvalidInput(f"sign-up unit method must be one of {', '.join(METHODS)}")
    if not spec.channels:
        raise InvalidInput("a sign-up unit needs at least one channel")
    if spec.subscription_type == SubscriptionType.MARKETING and not spec.legal_disclosure:
        raise InvalidInput("a MARKETING sign-up unit must carry legal disclosure text")
    unit = NewUnit(
        company_id=company_id,
        name=spec.name,
        method=spec.method,
        subscription_type=spec.subscription_type.value,
        channels=[channel.value for channel in spec.channels],
        language=spec.locale.language,
        country=spec.locale.country,
        legal_disclosure=spec.legal_disclosure,
        confirmation_prompt=spec.confirmation_prompt,
        welcome_text=spec.welcome_text,
        keywords=[keyword.upper() for keyword in spec.keywords],
        double_opt_in=spec.double_opt_in,
        email_double_opt_in=spec.email_double_opt_in,
        allow_single_opt_in=spec.allow_single_opt_in,
    )
    now = utcnow()
    unit_id = await insert_unit(connection, unit, now)
    await bump_version(connection, company_id)
    return UnitRow(id=unit_id, status=ACTIVE, created_at=now, **dataclasses.asdict(unit))


async def archive_sign_up_unit(connection: Connection, company_id: int, unit_id: int) -> None:
    """Stop a unit from taking new consent; what it collected stays."""
    if not await set_unit_status(connection, company_id, unit_id, ARCHIVED):
        raise NotFound(f"sign-up source {unit_id} does not exist")
    await bump_version(connection, company_id)


def resolve_sign_up_unit(
    catalog: Catalog,
    *,
    unit_id: str | None,
    locale: Locale | None,
    subscription_type: SubscriptionType | None,
    method: str | None = API_METHOD,
) -> UnitRow:
    """The one active API unit a subscribe request means, or an error naming why not.

    By id: that unit, if it is this company's, active, and of `method` (API unless a
    keyword was texted; None for any, as when a Vibes participant joins a campaign).
    Otherwise locale and type are both required, and exactly one active API unit
    must match.
    """
    if unit_id is not None:
        return _unit_by_id(catalog, unit_id, subscription_type, method)
    if locale is None or subscription_type is None:
        raise SignUpUnitNotResolved(
            "either signUpSourceId, or both locale and subscriptionType, are required"
        )
    matches = [
        unit
        for unit in catalog.units
        if unit.method == API_METHOD
        and unit.status == ACTIVE
        and unit.subscription_type == subscription_type
        and unit.language == locale.language
        and unit.country == locale.country
    ]
    described = f"locale {locale.tag} and subscriptionType {subscription_type}"
    if not matches:
        raise SignUpUnitNotResolved(f"no active API sign-up unit matches {described}")
    if len(matches) > 1:
        raise SignUpUnitNotResolved(
            f"more than one active API sign-up unit matches {described}; pass signUpSourceId"
        )
    return matches[0]


def _unit_by_id(
    catalog: Catalog,
    raw_id: str,
    subscription_type: SubscriptionType | None,
    method: str | None,
) -> UnitRow:
    parsed = parse_stored_id(raw_id)
    unit = None if parsed is None else catalog.unit(parsed)
    if unit is None:
        raise SignUpUnitNotResolved(f"sign-up source {raw_id!r} does not exist")
    if unit.status != ACTIVE:
        raise SignUpUnitNotResolved(f"sign-up source {raw_id!r} is archived")
    if method is not None and unit.method != method:
        raise SignUpUnitNotResolved(f"sign-up source {raw_id!r} is not an {method} sign-up unit")
    if subscription_type is not None and unit.subscription_type != subscription_type:
        raise SignUpUnitNotResolved(
            f"sign-up source {raw_id!r} is a {unit.subscription_type} unit, not {subscription_type}"
        )
    return unit
