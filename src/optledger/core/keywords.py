"""The words an inbound text acts on, and the rules for a KEYWORD unit's own keywords."""

from __future__ import annotations

from collections.abc import Iterable

from optledger.core.errors import InvalidInput

KEYWORD_METHOD = "KEYWORD"
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
RESUBSCRIBE_KEYWORDS = frozenset({"START", "UNSTOP"})
CONFIRM_KEYWORDS = frozenset({"Y", "YES"})
DECLINE_KEYWORDS = frozenset({"N", "NO"})
RESERVED_KEYWORDS = (
    OPT_OUT_KEYWORDS | HELP_KEYWORDS | RESUBSCRIBE_KEYWORDS | CONFIRM_KEYWORDS | DECLINE_KEYWORDS
)
MAX_KEYWORD_LENGTH = 30


def unit_keywords(keywords: Iterable[str]) -> list[str]:
    """A unit's keywords as inbound texts are matched against them: trimmed, upper-cased,
    each once. A keyword is one word of letters and digits, and never a reserved one
    (STOP, HELP, YES...): those act the same for every unit."""
    found: list[str] = []
    for raw in keywords:
        word = raw.strip().upper()
        if not word or len(word) > MAX_KEYWORD_LENGTH or not word.isalnum():
            raise InvalidInput(
                f"keyword {raw!r} must be one word of 1 to {MAX_KEYWORD_LENGTH} letters or digits"
            )
        if word in RESERVED_KEYWORDS:
            raise InvalidInput(
                f"keyword {word} is reserved (opt-out, help, confirmation or restart keywords "
                "act for every unit)"
            )
        if word not in found:
            found.append(word)
    return found
