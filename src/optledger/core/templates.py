"""Texts sent to people, per locale, with built-in en-US and fr-CA versions.

A company may override any text per locale in its settings
(`settings["templates"][locale][kind]`); a unit's own prompt and welcome texts win
over both. An email's confirmation prompt has built-in texts of its own and uses a
unit's or company's text only if it places `{confirm_url}`, its confirmation link
(a prompt written for texts says "Reply Y").
"""

from __future__ import annotations

import re
import string
from typing import Any

from optledger.core.company_settings import set_company_setting
from optledger.core.consent import Channel
from optledger.core.errors import InvalidInput
from optledger.core.message_kinds import MessageKind
from optledger.core.text import CONTROL_IN_FREE_TEXT, control_message
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.sql import Connection

DEFAULT_LOCALE = "en-US"

BUILT_IN: dict[str, dict[MessageKind, str]] = {
    "en-US": {
        MessageKind.CONFIRMATION_PROMPT: (
            "{company}: Reply Y to confirm your subscription. {disclosure}"
        ),
        MessageKind.WELCOME: "{company}: You are now subscribed. {disclosure}",
        MessageKind.ALREADY_SUBSCRIBED: (
            "{company}: You are already subscribed. Reply HELP for help, STOP to cancel."
        ),
        MessageKind.OPT_OUT_CONFIRMATION: (
            "{company}: You are unsubscribed and will receive no more messages."
        ),
        MessageKind.HELP: ("{company}: Reply STOP to unsubscribe. Msg & data rates may apply."),
    },
    "fr-CA": {
        MessageKind.CONFIRMATION_PROMPT: (
            "{company} : Répondez Y pour confirmer votre abonnement. {disclosure}"
        ),
        MessageKind.WELCOME: "{company} : Vous êtes maintenant abonné. {disclosure}",
        MessageKind.ALREADY_SUBSCRIBED: (
            "{company} : Vous êtes déjà abonné. Répondez HELP pour de l'aide, STOP pour annuler."
        ),
        MessageKind.OPT_OUT_CONFIRMATION: (
            "{company} : Vous êtes désabonné et ne recevrez plus de messages."
        ),
        MessageKind.HELP: (
            "{company} : Répondez STOP pour vous désabonner. Des frais peuvent s'appliquer."
        ),
    },
}

# Where email needs words of its own: a link to follow, not a reply to send.
BUILT_IN_EMAIL: dict[str, dict[MessageKind, str]] = {
    "en-US": {
        MessageKind.CONFIRMATION_PROMPT: (
            "{company}: Please confirm your subscription. "
            "Open this link to confirm: {confirm_url} {disclosure}"
        ),
    },
    "fr-CA": {
        MessageKind.CONFIRMATION_PROMPT: (
            "{company} : Veuillez confirmer votre abonnement. "
            "Ouvrez ce lien pour confirmer : {confirm_url} {disclosure}"
        ),
    },
}


def pick_locale(requested: str | None, company_settings: dict[str, Any]) -> str:
    """The best locale we have texts for: exact, then same language, then en-US."""
    available = set(BUILT_IN) | set(company_settings.get("templates", {}))
    if requested is not None and requested in available:
        return requested
    if requested:
        language = requested.split("-")[0]
        for candidate in sorted(available):
            if candidate.split("-")[0] == language:
                return candidate
    return DEFAULT_LOCALE


def render(
    kind: MessageKind,
    locale: str,
    *,
    company_name: str,
    company_settings: dict[str, Any],
    disclosure: str | None = None,
    unit_text: str | None = None,
    channel: Channel = Channel.TEXT,
    confirm_url: str | None = None,
) -> str:
    """The text of one message; placeholders are {company}, {disclosure} and
    {confirm_url} (a `confirm_url` the text does not place is added at its end)."""
    overrides = company_settings.get("templates", {}).get(locale, {})
    candidates: list[str | None] = [unit_text, overrides.get(kind.value)]
    if channel == Channel.EMAIL and kind == MessageKind.CONFIRMATION_PROMPT:
        # A prompt written for texts says "Reply Y": an email's must place its link.
        candidates = [text for text in candidates if text and "{confirm_url}" in text]
        candidates += [
            BUILT_IN_EMAIL.get(locale, {}).get(kind),
            BUILT_IN_EMAIL[DEFAULT_LOCALE][kind],
        ]
    candidates += [BUILT_IN.get(locale, {}).get(kind), BUILT_IN[DEFAULT_LOCALE][kind]]
    template = next(text for text in candidates if text)
    return fill(template, company_name, disclosure, confirm_url)


def fill(
    template: str, company_name: str, disclosure: str | None, confirm_url: str | None = None
) -> str:
    """A template with its placeholders filled in, as sent: a `confirm_url` it does not
    place is added at its end, and runs of whitespace become one space."""
    text = template.format(
        company=company_name, disclosure=disclosure or "", confirm_url=confirm_url or ""
    )
    if confirm_url and confirm_url not in text:
        text = f"{text} {confirm_url}"
    return " ".join(text.split())


_LOCALE_TAG = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
PLACEHOLDERS = frozenset({"company", "disclosure", "confirm_url"})
# Ten concatenated SMS of GSM-7; an email's text is no longer.
MAX_TEMPLATE_LENGTH = 1600


def checked_locale(locale: str) -> str:
    """`locale` if it is a tag such as en-US, else `InvalidInput`."""
    if not _LOCALE_TAG.match(locale):
        raise InvalidInput(f"locale {locale!r} must look like en-US")
    return locale


def checked_template(text: str) -> str:
    """`text` if it can be sent as a template, else `InvalidInput` saying why: empty,
    too long, a control character, a malformed or unknown placeholder."""
    if not text.strip():
        raise InvalidInput("a template must not be empty")
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise InvalidInput(
            f"a template has at most {MAX_TEMPLATE_LENGTH} characters, not {len(text)}"
        )
    if CONTROL_IN_FREE_TEXT.search(text):
        raise InvalidInput(control_message("a template"))
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise InvalidInput(f"template is malformed: {exc}") from None
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise InvalidInput(
            f"unknown placeholders {sorted(unknown)}; use {{company}}, {{disclosure}} "
            "and {confirm_url}"
        )
    return text


async def set_company_template(
    connection: Connection, company: CompanyRow, locale: str, kind: MessageKind, text: str | None
) -> None:
    """Override one text for a company and locale; None restores the built-in one."""
    checked_locale(locale)
    if text is not None:
        checked_template(text)
    await set_company_setting(
        connection, company.id, company.settings, ("templates", locale, kind.value), text
    )
