"""The rows of an imported subscriber list: which column is what, and each row checked.

A file has a header row with `phone` and/or `email`, `opted_in_at` (ISO-8601; a time
without an offset is UTC, a date alone is midnight UTC), optionally
`client_user_id` and `source` (where the consent was collected), and the attribute
columns the operator names. A row is checked on its own here, before any database
work; what needs the ledger (suppressions, opt-outs, identities) is `imports`'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from optledger.core.consent import Channel
from optledger.core.contact_points import normalize_email, normalize_phone
from optledger.core.errors import InvalidInput, OptledgerError
from optledger.core.people import IdentifierKind, external_identifier
from optledger.core.text import CONTROL_IN_FREE_TEXT, control_message, single_line

PHONE, EMAIL, OPTED_IN_AT = "phone", "email", "opted_in_at"
CLIENT_USER_ID, SOURCE = "client_user_id", "source"
MAX_SOURCE_LENGTH = 200
# Python's csv module refuses a longer field by default: a row holding one is
# refused on its own, not the file (see `cli_import`).
MAX_FIELD_LENGTH = 128 * 1024
# What the error report quotes of a value too long to quote whole.
QUOTED_LENGTH = 80

# Shapes whose normalised form is the text itself, so the full parse (70-80 µs a
# value on a small machine, most of an import's time) is skipped. Exact, not
# heuristic: `tests/cli/test_import_export.py` holds them to `normalize_phone` and
# `normalize_email`. A NANP number with its +1 is possible whatever the region; ten
# digits without it read as a US number are the same number.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")
_NANP_NATIONAL = re.compile(r"[2-9][0-9]{9}")
# A dot-atom local part of plain ASCII: valid as it is and kept as written.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")


class Refusal(NamedTuple):
    """A row that did not go in: its line, the value at fault, why, and in words."""

    line: int
    value: str
    reason: str
    detail: str


class ImportRow(NamedTuple):
    """One checked row (a tuple: an import makes millions of them)."""

    line: int
    phone: str | None
    email: str | None
    opted_in_at: datetime
    client_user_id: str | None
    source: str | None
    attributes: tuple[tuple[str, str], ...]

    def contact(self, channel: Channel) -> str | None:
        """The contact point the row gives for `channel`."""
        return self.phone if channel == Channel.TEXT else self.email


@dataclass(frozen=True)
class Columns:
    """Where each known column is in a row; attributes as (name, position)."""

    phone: int | None
    email: int | None
    opted_in_at: int
    client_user_id: int | None
    source: int | None
    attributes: tuple[tuple[str, int], ...]
    width: int


def columns_of(header: Sequence[str], attribute_columns: Sequence[str]) -> Columns:
    """Find the columns in a header row (known names in any case); attribute columns
    are matched exactly, as attribute names are case-sensitive."""
    names = [name.strip() for name in header]
    lowered = [name.lower() for name in names]

    def find(name: str) -> int | None:
        return lowered.index(name) if name in lowered else None

    opted = find(OPTED_IN_AT)
    if opted is None:
        raise InvalidInput(f"the file has no {OPTED_IN_AT!r} column")
    if find(PHONE) is None and find(EMAIL) is None:
        raise InvalidInput("the file has neither a 'phone' nor an 'email' column")
    missing = [name for name in attribute_columns if name not in names]
    if missing:
        raise InvalidInput(f"the file has no attribute column {', '.join(map(repr, missing))}")
    return Columns(
        phone=find(PHONE),
        email=find(EMAIL),
        opted_in_at=opted,
        client_user_id=find(CLIENT_USER_ID),
        source=find(SOURCE),
        attributes=tuple((name, names.index(name)) for name in attribute_columns),
        width=len(names),
    )


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    """A domain's normalised form, checked once: a list has few distinct domains."""
    return normalize_email(f"a@{domain}").partition("@")[2]


def parse_phone(text: str, region: str) -> str:
    """`normalize_phone(text, lenient=True, default_region=region)`, faster for NANP."""
    if _NANP_E164.fullmatch(text):
        return text
    if region == "US" and _NANP_NATIONAL.fullmatch(text):
        return "+1" + text
    return normalize_phone(text, lenient=True, default_region=region)


def parse_email(text: str) -> str:
    """`normalize_email(text)`, faster for a plain ASCII local part."""
    local, at, domain = text.rpartition("@")
    if at and len(local) <= 64 and len(text) <= 254 and _PLAIN_LOCAL.fullmatch(local):
        try:
            return f"{local}@{_email_domain(domain)}"
        except OptledgerError:
            pass  # the full parse names the address in its message
    return normalize_email(text)


def parse_moment(text: str, now: datetime) -> datetime:
    """An ISO-8601 date or time in the past, as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{text!r} is not an ISO-8601 date or time") from None
    if moment > now:
        raise InvalidInput(f"{text!r} is in the future")
    return moment


def unreadable_row(line: int, problem: str) -> Refusal:
    """The refusal of a record the CSV reader could not read."""
    return Refusal(line, "", "unreadable row", problem)


def _unfit_cell(cells: Sequence[str], line: int) -> Refusal | None:
    """A refusal for a row with a cell no column may hold: one too long, or one with
    a control character (tab and line breaks aside; identifiers refuse those too)."""
    for cell in cells:
        if len(cell) > MAX_FIELD_LENGTH:
            detail = f"a field is longer than {MAX_FIELD_LENGTH} characters"
            return Refusal(line, cell[:QUOTED_LENGTH] + "...", "field too long", detail)
        if CONTROL_IN_FREE_TEXT.search(cell):
            # Shown escaped: the report is read by people, and NUL ends text in many tools.
            shown = cell.encode("unicode_escape").decode("ascii")[:QUOTED_LENGTH]
            return Refusal(line, shown, "control character", control_message("a field"))
    return None


def parse_row(
    columns: Columns, cells: Sequence[str], line: int, region: str, now: datetime
) -> ImportRow | Refusal:
    """Check one row: its cells, contact points, consent time and other identifiers.

    Phones in national formats are read in `region` (the unit's country).
    """
    unfit = _unfit_cell(cells, line)
    if unfit is not None:
        return unfit
    phone_text, email_text = _cell(cells, columns.phone), _cell(cells, columns.email)
    if not phone_text and not email_text:
        return Refusal(line, "", "no contact point", "the row has neither a phone nor an email")
    field, text = PHONE, phone_text
    try:
        phone = parse_phone(phone_text, region) if phone_text else None
        field, text = EMAIL, email_text
        email = parse_email(email_text) if email_text else None
        field, text = OPTED_IN_AT, _cell(cells, columns.opted_in_at)
        if not text:
            raise InvalidInput(f"{OPTED_IN_AT} is empty")
        opted_in_at = parse_moment(text, now)
        field, text = CLIENT_USER_ID, _cell(cells, columns.client_user_id)
        client = external_identifier(IdentifierKind.CLIENT_USER_ID, text)
        field, text = SOURCE, single_line(_cell(cells, columns.source), SOURCE)
        if len(text) > MAX_SOURCE_LENGTH:
            raise InvalidInput(f"source is longer than {MAX_SOURCE_LENGTH} characters")
    except OptledgerError as exc:
        reason = "bad date" if field == OPTED_IN_AT else f"bad {field}"
        return Refusal(line, text, reason, exc.message)
    return ImportRow(
        line=line,
        phone=phone,
        email=email,
        opted_in_at=opted_in_at,
        client_user_id=client.value if client is not None else None,
        source=text or None,
        attributes=tuple(
            (name, value) for name, index in columns.attributes if (value := _cell(cells, index))
        ),
    )
