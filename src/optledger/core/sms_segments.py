"""How many SMS a text takes: its encoding, its length in that encoding, its segments.

A text whose every character is in the GSM 03.38 alphabet (3GPP TS 23.038: the
basic set, and the extension table whose characters take an escape and so two
septets) goes as GSM-7: 160 septets in a single message, 153 in each part of a
concatenated one (the rest of a part carries its user data header). One character
outside it sends the whole text as UCS-2: 70 UTF-16 code units in a single
message, 67 a part; a character beyond the Basic Multilingual Plane (most emoji)
takes two.

Phones do not split an escape sequence or a surrogate pair between two parts, so
a part that cannot take a character's units whole ends early.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The basic set, in table order (0x1B, the escape to the extension table, is no
# character of its own).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each sent as the escape and one septet.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

# (units in a single message, units in each part of a concatenated one)
CAPACITY: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsCount:
    """A text as SMS: its encoding, its length in that encoding's units (septets or
    UTF-16 code units), and how many messages carry it."""

    encoding: Encoding
    characters: int
    segments: int


def _gsm_septets(character: str) -> int | None:
    """Septets of one character in GSM-7, None if it has none."""
    if character in GSM_BASIC:
        return 1
    if character in GSM_EXTENSION:
        return 2
    return None


def _widths(text: str) -> tuple[Encoding, list[int]]:
    """The text's encoding and each character's units in it."""
    septets = [_gsm_septets(character) for character in text]
    if all(width is not None for width in septets):
        return "GSM-7", [width for width in septets if width is not None]
    return "UCS-2", [2 if ord(character) > 0xFFFF else 1 for character in text]


def _parts(widths: list[int], per_part: int) -> int:
    """Parts of `per_part` units that carry `widths`, no character split between two."""
    parts, room = 0, 0
    for width in widths:
        if width > room:
            parts, room = parts + 1, per_part
        room -= width
    return parts


def sms_count(text: str) -> SmsCount:
    """The encoding, length and number of SMS of `text` (none for an empty text)."""
    encoding, widths = _widths(text)
    units = sum(widths)
    single, per_part = CAPACITY[encoding]
    segments = (1 if units else 0) if units <= single else _parts(widths, per_part)
    return SmsCount(encoding, units, segments)
