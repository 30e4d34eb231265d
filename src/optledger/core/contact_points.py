"""Phone numbers and email addresses: the one parser, one set of limits, one stored form.

Consent belongs to these, not to a person: TEXT consent to a phone number, EMAIL
consent to an email address. Every door parses them here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from optledger.core.consent import Channel
from optledger.core.errors import InvalidContactPoint, InvalidInput
from optledger.core.people import Identifier, IdentifierKind
from optledger.core.text import CONTROL, control_message

# E.164 as a string: a plus and up to 15 digits, nothing else. `phonenumbers`
# alone would parse "+1---914---844---0001", which the API must refuse.
_E164_FORM = re.compile(r"^\+[1-9][0-9]{1,14}$")
# The longest address SMTP can carry (RFC 5321's 256-octet path, less the brackets).
MAX_EMAIL_LENGTH = 254
MAX_PHONE_INPUT_LENGTH = 32


def normalize_phone(raw: str, *, lenient: bool = False, default_region: str = "US") -> str:
    """A number in E.164.

    Strict (the default): the text must already be E.164 and the number valid for
    its numbering plan. Lenient (the legacy API, imported lists): common national
    and international formats, read in `default_region`, of a possible length for
    their country (`555-555-5555` is a US number, though no real one).
    """
    text = raw.strip()
    if not text.isascii():
        # Other scripts' digits would be folded silently into a different string.
        raise InvalidContactPoint(f"phone {raw!r} must be written with ASCII digits")
    if len(text) > MAX_PHONE_INPUT_LENGTH:
        raise InvalidContactPoint(f"phone is longer than {MAX_PHONE_INPUT_LENGTH} characters")
    if CONTROL.search(text):
        # The lenient parse would skip them and keep the digits.
        raise InvalidContactPoint(control_message("phone"))
    if not lenient and not _E164_FORM.match(text):
        raise InvalidContactPoint(
            f"phone {raw!r} is not in E.164 format (a '+' and digits only, e.g. +19148440001)"
        )
    found = _e164(text, default_region if lenient else None)
    if found is None:
        raise InvalidContactPoint(
            f"phone {raw!r} is not a "
            + ("phone number" if lenient else "valid number for its numbering plan")
        )
    return found


# Parsing a number against its numbering plan costs more than an eligibility query;
# the same numbers come back again and again (checks before every send).
@functools.lru_cache(maxsize=65_536)
def _e164(text: str, lenient_region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, lenient_region)
    except phonenumbers.NumberParseException:
        return None
    usable = phonenumbers.is_possible_number if lenient_region else phonenumbers.is_valid_number
    if not usable(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# What a log line must not carry in the clear, whatever the form: anything shaped like
# an address (an `@` with text before it, `bob@@example` too); a `+` and 7 or more
# digits, separators allowed (`+1 (914) 844-5556`); a national number's 3-3-4 shape;
# any run of 7 or more digits. 32 hex digits are a request id, kept to be found.
_ADDRESS_IN_TEXT = re.compile(r"([^\s@'\"<>()\[\],;:=]+)@+([^\s@'\"<>()\[\],;:]*)")
_NUMBER_IN_TEXT = re.compile(
    r"(?P<request_id>(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z]))"
    r"|(?P<international>\+[0-9](?:[ .()-]{0,2}[0-9]){6,})"
    r"|(?<![0-9])\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-][0-9]{4}(?![0-9])"
    r"|[0-9]{7,}"
)


def _mask_number(found: re.Match[str]) -> str:
    if found["request_id"] and not found[0].isdigit():
        return found[0]
    digits = re.sub(r"[^0-9]", "", found[0])
    if found["international"]:
        return "+" + digits[:4] + "*" * (len(digits) - 6) + digits[-2:]
    return "*" * (len(digits) - 2) + digits[-2:]


# Only text with an "@", a "+" or 7 digits in a row can hold what the masker masks:
# most log lines have none and skip its expressions, a cost on every request.
_SUSPECT = re.compile(r"[@+]|[0-9]{7}|[0-9]{3}[ .-][0-9]{4}")


def mask_contact_points(text: str) -> str:
    """`text` with anything that may be a phone number or an email address masked, for logs.

    `+19148440001` becomes `+1914******01`, `9148440001` `********01`,
    `ann@example.com` `a***@example.com`: enough to follow a case, not enough to
    reach anyone, and nothing that outlives an erasure in a log file.
    """
    if not _SUSPECT.search(text):
        return text
    text = _ADDRESS_IN_TEXT.sub(lambda found: f"{found[1][:1]}***@{found[2]}", text)
    return _NUMBER_IN_TEXT.sub(_mask_number, text)


def normalize_email(raw: str) -> str:
    """Validate an address and return it trimmed, with its domain lower-cased."""
    candidate = raw.strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidContactPoint(f"email is longer than {MAX_EMAIL_LENGTH} characters")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidContactPoint(f"email {raw!r} is not valid: {exc}") from None
    return f"{result.local_part}@{result.domain.lower()}"


def normalize_address(raw: str) -> str:
    """A phone (starting with +) or an email address, in its stored form."""
    text = raw.strip()
    return normalize_phone(text) if text.startswith("+") else normalize_email(text)


def parse_contact_value(raw: str) -> str:
    """A phone (any common format, read as US when national) or an email, stored form.

    For lists people export from elsewhere, where numbers rarely carry their `+`.
    """
    text = raw.strip()
    return normalize_email(text) if "@" in text else normalize_phone(text, lenient=True)


def _present(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


@dataclass(frozen=True)
class ContactPoints:
    """A normalised phone (TEXT) and/or email (EMAIL)."""

    phone: str | None = None
    email: str | None = None

    @classmethod
    def parse(
        cls,
        phone: str | None,
        email: str | None,
        *,
        required: bool = True,
        lenient_phone: bool = False,
    ) -> ContactPoints:
        """Validate raw values; blanks count as absent; with `required`, one must be given."""
        phone, email = _present(phone), _present(email)
        if required and not phone and not email:
            raise InvalidInput("user must have a phone or an email")
        return cls(
            phone=normalize_phone(phone, lenient=lenient_phone) if phone else None,
            email=normalize_email(email) if email else None,
        )

    def for_channel(self, channel: Channel) -> str | None:
        """The contact point a channel reaches: phone for TEXT, email for EMAIL."""
        return self.phone if channel == Channel.TEXT else self.email

    @property
    def channels(self) -> list[Channel]:
        """The channels these contact points can be reached on."""
        return [channel for channel in Channel if self.for_channel(channel)]

    @property
    def values(self) -> list[str]:
        """The contact values given."""
        return [value for value in (self.phone, self.email) if value]

    @property
    def identifiers(self) -> list[Identifier]:
        """The contact points as person identifiers."""
        found = []
        if self.phone:
            found.append(Identifier(IdentifierKind.PHONE, self.phone))
        if self.email:
            found.append(Identifier(IdentifierKind.EMAIL, self.email))
        return found
