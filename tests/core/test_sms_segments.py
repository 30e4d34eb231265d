"""Counting SMS segments: GSM-7 at 160/153 septets, UCS-2 at 70/67 code units."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optledger.core.sms_segments import GSM_BASIC, GSM_EXTENSION, SmsCount, sms_count

BASIC = sorted(GSM_BASIC)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=400)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsCount("GSM-7", 0, 0)),
        ("Reply Y to confirm.", SmsCount("GSM-7", 19, 1)),
        ("a" * 160, SmsCount("GSM-7", 160, 1)),
        ("a" * 161, SmsCount("GSM-7", 161, 2)),
        ("a" * 306, SmsCount("GSM-7", 306, 2)),
        ("a" * 307, SmsCount("GSM-7", 307, 3)),
        # Extension characters take the escape and a septet.
        ("€" * 80, SmsCount("GSM-7", 160, 1)),
        ("a" + "€" * 80, SmsCount("GSM-7", 161, 2)),
        ("[x]{y}~|^\\\f", SmsCount("GSM-7", 20, 1)),
        # The basic set's accents stay GSM-7; others do not.
        ("Å ø ß É à ¿ ¡ §", SmsCount("GSM-7", 15, 1)),
        ("Répondez", SmsCount("GSM-7", 8, 1)),
        ("Vous êtes abonné", SmsCount("UCS-2", 16, 1)),
        ("ç", SmsCount("UCS-2", 1, 1)),
        ("x" * 70 + "é" + "ê", SmsCount("UCS-2", 72, 2)),
        ("ê" * 70, SmsCount("UCS-2", 70, 1)),
        ("ê" * 71, SmsCount("UCS-2", 71, 2)),
        ("ê" * 134, SmsCount("UCS-2", 134, 2)),
        ("ê" * 135, SmsCount("UCS-2", 135, 3)),
        # An emoji beyond the BMP is a surrogate pair: two code units.
        ("Welcome 🎉", SmsCount("UCS-2", 10, 1)),
        ("🎉" * 35, SmsCount("UCS-2", 70, 1)),
        ("🎉" * 36, SmsCount("UCS-2", 72, 2)),
    ],
)
def test_counts(text: str, expected: SmsCount) -> None:
    assert sms_count(text) == expected


def test_a_character_never_splits_between_two_parts() -> None:
    # 152 septets then an escape sequence: the euro goes whole into the second part.
    assert sms_count("a" * 152 + "€" + "a" * 152) == SmsCount("GSM-7", 306, 3)
    # 66 code units then a surrogate pair: the emoji starts the second part.
    assert sms_count("ê" * 66 + "🎉" + "ê" * 66) == SmsCount("UCS-2", 134, 3)


@given(ANY_TEXT, st.characters(exclude_categories=("Cs",)))
def test_appending_never_takes_fewer_segments(text: str, character: str) -> None:
    assert sms_count(text + character).segments >= sms_count(text).segments


@given(st.lists(st.sampled_from(BASIC), min_size=161, max_size=2000))
def test_long_basic_texts_take_one_part_per_153_septets(characters: list[str]) -> None:
    text = "".join(characters)
    assert sms_count(text) == SmsCount("GSM-7", len(text), math.ceil(len(text) / 153))


@given(st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION), max_size=400))
def test_gsm_texts_count_extension_characters_twice(text: str) -> None:
    extension = sum(character in GSM_EXTENSION for character in text)
    assert sms_count(text).characters == len(text) + extension
    assert sms_count(text).encoding == "GSM-7"


@given(ANY_TEXT)
def test_a_text_outside_gsm_counts_utf16_code_units(text: str) -> None:
    counted = sms_count(text + "ê")
    assert counted.encoding == "UCS-2"
    assert counted.characters == len((text + "ê").encode("utf-16-le")) // 2
    if counted.characters <= 70:
        assert counted.segments == 1
    else:
        assert counted.segments >= math.ceil(counted.characters / 67)
