"""Control characters: which a string may hold, by what it is.

PostgreSQL text cannot hold NUL, and no other C0 control has a place in what the
ledger keeps but tab and line breaks in free text (a message, a note): an
identifier, a name, a key or a contact point is one line of printable text. Every
door refuses the rest as bad input, on both databases alike: requests in one place
(`dialects.control_characters`), imported rows in `core.import_rows`, and the
stricter rule for identifiers and names where the core checks them.
"""

from __future__ import annotations

import re

from optledger.core.errors import InvalidInput

# C0 and DEL: none in an identifier, a name, a key or a contact point.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# C0 but tab, line feed and carriage return: none in any string at all.
CONTROL_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_message(field: str) -> str:
    """What an answer says of a string holding a control character it may not."""
    return f"{field} must not contain control characters"


def single_line(value: str, field: str) -> str:
    """`value` if it holds no control character (tab and line breaks included), else
    `InvalidInput` naming `field`."""
    if CONTROL.search(value):
        raise InvalidInput(control_message(field))
    return value


def checked_name(raw: str, owner: str, max_length: int) -> str:
    """A name as kept: trimmed, 1 to `max_length` characters on one line; otherwise
    `InvalidInput` saying so of `owner`'s name (`a list`: "a list's name ...")."""
    name = single_line(raw.strip(), f"{owner}'s name")
    if not 1 <= len(name) <= max_length:
        raise InvalidInput(f"{owner}'s name has 1 to {max_length} characters")
    return name
