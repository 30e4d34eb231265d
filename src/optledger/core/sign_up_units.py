"""Sign-up units: where consent is collected, and how a request finds its unit."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optledger.core.catalog import Catalog, load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Conflict, InvalidInput, NotFound, SignUpUnitNotResolved
from optledger.core.ids import parse_stored_id
from optledger.core.keywords import KEYWORD_METHOD, unit_keywords
from optledger.core.text import checked_name
from optledger.core.unit_methods import API_METHOD, METHODS
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import bump_version
from optledger.storage.repositories.units import (
    NewUnit,
    UnitRow,
    insert_unit,
    set_unit_status,
    update_unit,
)
from optledger.storage.sql import Connection

ACTIVE = "active"
ARCHIVED = "archived"
MAX_NAME_LENGTH = 200
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
TEXTS = ("legal_disclosure", "confirmation_prompt", "welcome_text")
# What an update may change: a unit's type and method are what it is (make a new one).
UPDATABLE = frozenset(
    {
        "name",
        "channels",
        "locale",
        "legal_disclosure",
        "confirmation_prompt",
        "welcome_text",
        "keywords",
        "double_opt_in",
        "email_double_opt_in",
        "allow_single_opt_in",
        "welcome_on_single_opt_in",
    }
)


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
    welcome_on_single_opt_in: bool = True


def spec_of(unit: UnitRow) -> UnitSpec:
    """What a stored unit was made of."""
    typed = {"locale", "subscription_type", "channels"}
    same = {field.name for field in dataclasses.fields(UnitSpec)} - typed
    return UnitSpec(
        **{name: getattr(unit, name) for name in same},
        locale=Locale(unit.language, unit.country),
        subscription_type=SubscriptionType(unit.subscription_type),
        channels=[Channel(channel) for channel in unit.channels],
    )


def _checked(spec: UnitSpec, catalog: Catalog, unit_id: int | None = None) -> UnitSpec:
    """`spec` as it is stored, once it keeps every rule of a unit, also against the
    company's other units (`unit_id`: the unit being changed)."""
    name = checked_name(spec.name, "a sign-up unit", MAX_NAME_LENGTH)
    method = spec.method.strip().upper()
    if method not in METHODS:
        raise InvalidInput(f"sign-up unit method must be one of {', '.join(METHODS)}")
    channels = list(dict.fromkeys(Channel(channel) for channel in spec.channels))
    if not channels:
        raise InvalidInput("a sign-up unit needs at least one channel")
    # Typed by hand in a form or a shell as often as sent by a program: `EN`, ` us`.
    locale = Locale(spec.locale.language.strip().lower(), spec.locale.country.strip().upper())
    if not _LANGUAGE.match(locale.language) or not _COUNTRY.match(locale.country):
        raise InvalidInput("a sign-up unit's locale is a language like en and a country like US")
    # An empty text is no text, whichever door it came through.
    texts: dict[str, Any] = {name: (getattr(spec, name) or "").strip() or None for name in TEXTS}
    if spec.subscription_type == SubscriptionType.MARKETING and not texts["legal_disclosure"]:
        raise InvalidInput("a MARKETING sign-up unit must carry legal disclosure text")
    keywords = unit_keywords(spec.keywords)
    if method == KEYWORD_METHOD and not keywords:
        raise InvalidInput("a KEYWORD sign-up unit needs at least one keyword")
    if method == KEYWORD_METHOD and Channel.TEXT not in channels:
        raise InvalidInput("a KEYWORD sign-up unit collects TEXT consent")
    if method != KEYWORD_METHOD and keywords:
        raise InvalidInput("only KEYWORD sign-up units have keywords")
    others = [unit for unit in catalog.units if unit.id != unit_id]
    if any(unit.name == name for unit in others):
        raise Conflict(f"another sign-up unit is called {name!r}")
    # An inbound text starts the first active unit with its keyword: one each.
    taken = {
        word
        for unit in others
        if unit.status == ACTIVE and unit.method == KEYWORD_METHOD
        for word in unit.keywords
    }.intersection(keywords)
    if taken:
        raise Conflict(f"keyword {', '.join(sorted(taken))} starts another active sign-up unit")
    return dataclasses.replace(
        spec,
        name=name,
        method=method,
        channels=channels,
        locale=locale,
        keywords=keywords,
        **texts,
    )


def _stored_fields(spec: UnitSpec) -> dict[str, Any]:
    """A checked spec as the unit's stored columns."""
    return {
        "name": spec.name,
        "method": spec.method,
        "subscription_type": spec.subscription_type.value,
        "channels": [channel.value for channel in spec.channels],
        "language": spec.locale.language,
        "country": spec.locale.country,
        "legal_disclosure": spec.legal_disclosure,
        "confirmation_prompt": spec.confirmation_prompt,
        "welcome_text": spec.welcome_text,
        "keywords": list(spec.keywords),
        "double_opt_in": spec.double_opt_in,
        "email_double_opt_in": spec.email_double_opt_in,
        "allow_single_opt_in": spec.allow_single_opt_in,
        "welcome_on_single_opt_in": spec.welcome_on_single_opt_in,
    }


async def create_sign_up_unit(connection: Connection, company_id: int, spec: UnitSpec) -> UnitRow:
    """Create an active unit after checking the rules every unit must keep."""
    spec = _checked(spec, await load_catalog(connection, company_id))
    unit = NewUnit(company_id=company_id, **_stored_fields(spec))
    now = utcnow()
    unit_id = await insert_unit(connection, unit, now)
    await bump_version(connection, company_id)
    return UnitRow(id=unit_id, status=ACTIVE, created_at=now, **dataclasses.asdict(unit))


async def get_sign_up_unit(connection: Connection, company_id: int, unit_id: int) -> UnitRow:
    """The company's unit with `unit_id`, archived or not, or `NotFound`."""
    unit = (await load_catalog(connection, company_id)).unit(unit_id)
    if unit is None:
        raise NotFound(f"sign-up unit {unit_id} does not exist")
    return unit


async def update_sign_up_unit(
    connection: Connection, company_id: int, unit_id: int, changes: Mapping[str, Any]
) -> UnitRow:
    """Change an active unit's `UPDATABLE` fields; every rule is checked again. A
    `language` or `country` alone changes that half of the unit's locale.

    Records keep the disclosure as it was shown, so a new text affects only new consent.
    """
    changes = dict(changes)
    halves = {half: changes.pop(half) for half in ("language", "country") if half in changes}
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"a sign-up unit's {', '.join(sorted(unknown))} cannot change")
    catalog = await load_catalog(connection, company_id)
    unit = catalog.unit(unit_id)
    if unit is None:
        raise NotFound(f"sign-up unit {unit_id} does not exist")
    if unit.status != ACTIVE:
        raise Conflict(f"sign-up unit {unit_id} is archived")
    if halves:
        changes["locale"] = Locale(
            halves.get("language", unit.language), halves.get("country", unit.country)
        )
    spec = _checked(dataclasses.replace(spec_of(unit), **changes), catalog, unit.id)
    # Type and method are not `UPDATABLE`: the spec carries the unit's own.
    updated = dataclasses.replace(unit, **_stored_fields(spec))
    await update_unit(connection, updated)
    await bump_version(connection, company_id)
    return updated


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
