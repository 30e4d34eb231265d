"""Every message text a company sends, per locale and kind, where it comes from, and
how many SMS it takes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from optledger.core.message_kinds import MessageKind
from optledger.core.sms_segments import SmsCount, sms_count
from optledger.core.templates import BUILT_IN, DEFAULT_LOCALE, fill
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.units import UnitRow

BUILT_IN_SOURCE = "built_in"
COMPANY_SOURCE = "company"


@dataclass(frozen=True)
class TemplateText:
    """One text as `templates.render` would pick it (before a unit's own texts)."""

    locale: str
    kind: MessageKind
    text: str
    # built_in, or company: the company's override.
    source: str
    # The SMS the text takes with the company's name filled in: a unit's disclosure,
    # where the text places one, adds to it.
    sms: SmsCount


def template_of(company: CompanyRow, locale: str, kind: MessageKind) -> TemplateText:
    """The text the company sends for `locale` and `kind`: its own, else the built-in
    one of that locale, else en-US's."""
    own = company.settings.get("templates", {}).get(locale, {}).get(kind.value)
    if own is not None:
        text, source = own, COMPANY_SOURCE
    else:
        text = BUILT_IN.get(locale, {}).get(kind) or BUILT_IN[DEFAULT_LOCALE][kind]
        source = BUILT_IN_SOURCE
    return TemplateText(locale, kind, text, source, sms_count(fill(text, company.name, None)))


def company_templates(company: CompanyRow) -> list[TemplateText]:
    """The texts of every locale the company has texts for, each kind, sorted."""
    overrides: dict[str, dict[str, str]] = company.settings.get("templates", {})
    return [
        template_of(company, locale, kind)
        for locale in sorted(set(BUILT_IN) | set(overrides))
        for kind in MessageKind
    ]


def preview_unit(units: Iterable[UnitRow], locale: str) -> UnitRow | None:
    """The unit whose disclosure a preview fills in: the company's first active unit
    with one, of the locale if there is such a unit."""
    with_disclosure = [u for u in units if u.status == "active" and u.legal_disclosure]
    in_locale = [unit for unit in with_disclosure if unit.locale == locale]
    return min(in_locale or with_disclosure, key=lambda unit: unit.id, default=None)
