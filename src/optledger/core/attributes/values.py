"""Attribute types, and how a JSON value is checked against (or gives) a type.

Inference on first use goes by the JSON type: a boolean makes a boolean
attribute, a number a number attribute, a string in ISO-8601 date or date-time
form (`2024-05-01`, `2024-05-01T12:30:00Z`) a date attribute, any other string a
string attribute. Numeric strings stay strings (a zip code "02134" is not a
number). Enums are never inferred: they are defined ahead (`define_attribute`).

Later values are accepted when they convert without loss: a number attribute
takes numbers and numeric strings, a boolean takes true/false and the strings
"true"/"false", a date takes ISO-8601 strings (stored normalised, date-times in
UTC), a string takes any scalar (numbers and booleans as their JSON text), an
enum only one of its defined values, exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from optledger.core.errors import InvalidAttribute
from optledger.core.text import CONTROL, control_message

Scalar = str | int | float | bool

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 1024

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"
)
# Numbers an attribute holds: at most 15 digits before and 15 after the point, ASCII
# digits only. Within this range every value survives a double, JSON and both
# databases; beyond it Python's int() refuses (over 4,300 digits) or a float
# overflows to infinity.
_NUMBER = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$")
MAX_NUMBER = 10**15


class AttributeType(StrEnum):
    """What an attribute holds."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    ENUM = "enum"


def check_name(name: str) -> str:
    """An attribute name: case-sensitive, 1 to `MAX_NAME_LENGTH` characters, not blank."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidAttribute(f"attribute names must be 1 to {MAX_NAME_LENGTH} characters")
    if CONTROL.search(name):
        raise InvalidAttribute(control_message("an attribute name"))
    return name


def check_scalar(name: str, value: Any) -> Scalar:
    """Attribute values are single values: arrays and objects are refused."""
    if isinstance(value, list):
        raise InvalidAttribute(f"attribute {name!r} must be a single value, not an array")
    if isinstance(value, dict):
        raise InvalidAttribute(f"attribute {name!r} must be a single value, not an object")
    if not isinstance(value, str | int | float):
        raise InvalidAttribute(f"attribute {name!r} has an unsupported value")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidAttribute(f"attribute {name!r} must be a finite number")
    return value


def normalize_date(text: str) -> str | None:
    """The stored form of an ISO-8601 date or date-time, or None if `text` is not one."""
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text).isoformat()
        if _ISO_DATETIME.match(text):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            # A date-time without an offset is read as UTC.
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except ValueError:
        return None
    return None


def infer_type(value: Scalar) -> AttributeType:
    """The type a new attribute gets from its first value."""
    if isinstance(value, bool):
        return AttributeType.BOOLEAN
    if isinstance(value, int | float):
        return AttributeType.NUMBER
    if normalize_date(value.strip()) is not None:
        return AttributeType.DATE
    return AttributeType.STRING


def coerce(name: str, kind: AttributeType, value: Scalar, enum_values: list[str]) -> Scalar:
    """`value` in the stored form of an attribute of type `kind`, or `InvalidAttribute`."""
    converted = _CONVERTERS[kind](value, enum_values)
    if converted is None:
        allowed = f" (one of {', '.join(map(repr, enum_values))})" if enum_values else ""
        raise InvalidAttribute(f"attribute {name!r} is a {kind} attribute{allowed}: got {value!r}")
    if isinstance(converted, str) and len(converted) > MAX_TEXT_LENGTH:
        raise InvalidAttribute(f"attribute {name!r} is longer than {MAX_TEXT_LENGTH} characters")
    return converted


def _to_string(value: Scalar, _: list[str]) -> Scalar | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _to_number(value: Scalar, _: list[str]) -> Scalar | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if abs(value) < MAX_NUMBER else None
    text = value.strip()
    if not _NUMBER.match(text):
        return None
    return float(text) if "." in text else int(text)


def _to_boolean(value: Scalar, _: list[str]) -> Scalar | None:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    return text == "true" if text in ("true", "false") else None


def _to_date(value: Scalar, _: list[str]) -> Scalar | None:
    return normalize_date(value.strip()) if isinstance(value, str) else None


def _to_enum(value: Scalar, enum_values: list[str]) -> Scalar | None:
    return value if isinstance(value, str) and value in enum_values else None


_CONVERTERS: dict[AttributeType, Callable[[Scalar, list[str]], Scalar | None]] = {
    AttributeType.STRING: _to_string,
    AttributeType.NUMBER: _to_number,
    AttributeType.BOOLEAN: _to_boolean,
    AttributeType.DATE: _to_date,
    AttributeType.ENUM: _to_enum,
}
