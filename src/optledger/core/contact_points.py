"""Phone numbers and email addresses: validation and the one stored form of each."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from optledger.core.errors import InvalidContactPoint

# E.164 as a string: a plus and up to 15 digits, nothing else. `phonenumbers`
# alone would parse "+1---914---844---0001", which the API must refuse.
_E164_FORM = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_EMAIL_LENGTH = 320


def normalize_e164_phone(raw: str) -> str:
    """Accept only a valid E.164 number, returned unchanged."""
    if not _E164_FORM.match(raw):
        raise InvalidContactPoint(
            f"phone {raw!r} is not in E.164 format (a '+' and digits only, e.g. +19148440001)"
        )
    return _valid_number(raw, raw, region=None)


def normalize_lenient_phone(raw: str, default_region: str = "US") -> str:
    """Accept a number in common national or international formats, return E.164."""
    return _valid_number(raw.strip(), raw, region=default_region)


def _valid_number(text: str, raw: str, *, region: str | None) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidContactPoint(f"phone {raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContactPoint(f"phone {raw!r} is not a valid number for its numbering plan")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Validate an address and return it trimmed, with its domain lower-cased."""
    candidate = raw.strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidContactPoint("email is longer than 320 characters")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidContactPoint(f"email {raw!r} is not valid: {exc}") from None
    return f"{result.local_part}@{result.domain.lower()}"
