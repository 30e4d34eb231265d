"""Every message text a company sends, per locale and kind, and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.templates import BUILT_IN, DEFAULT_LOCALE, MessageKind
from optledger.storage.repositories.companies import CompanyRow

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


def company_templates(company: CompanyRow) -> list[TemplateText]:
    """The texts of every locale the company has texts for, each kind, sorted."""
    overrides: dict[str, dict[str, str]] = company.settings.get("templates", {})
    found = []
    for locale in sorted(set(BUILT_IN) | set(overrides)):
        for kind in MessageKind:
            own = overrides.get(locale, {}).get(kind.value)
            if own is not None:
                found.append(TemplateText(locale, kind, own, COMPANY_SOURCE))
                continue
            text = BUILT_IN.get(locale, {}).get(kind) or BUILT_IN[DEFAULT_LOCALE][kind]
            found.append(TemplateText(locale, kind, text, BUILT_IN_SOURCE))
    return found
