"""Log lines as text or as one JSON object per line, with contact points masked.

Both formats mask whatever may be a phone number or an email address in what a
line says (message, its arguments, fields and tracebacks), as
`core.contact_points.mask_contact_points` describes: a log file must not outlive
an erasure with them in it. Numbers the line's own format puts in (error ids,
status codes, latencies) are left as they are. Error messages are logged without
the values they quote (`error_for_log`): they name the field at fault, and the
caller's answer alone repeats the value.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from optledger.core.contact_points import mask_contact_points
from optledger.observability.log_formats import LogFormat
from optledger.observability.request_ids import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a request line carries besides its message (see `request_log`).
REQUEST_FIELDS = ("request_id", "company_key", "route", "method", "status", "latency_ms")


# A value an error message quotes, as Python writes a string (`phone '…' is not …`);
# an apostrophe inside a word (`a list's name`) starts none.
_QUOTED = re.compile(r"""(?<![0-9A-Za-z])(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?![0-9A-Za-z])""")


def error_for_log(message: str) -> str:
    """An error message as logged: the values it quotes left out, so that it names
    the field and not what was sent, and anything else like a contact point masked."""
    return mask_contact_points(_QUOTED.sub("'...'", message))


class _MaskedValue:
    """An argument of a log call that is neither text nor a number (an exception,
    say): written through the masker, whether by `%s` or `%r`."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return mask_contact_points(str(self.value))

    def __repr__(self) -> str:
        return mask_contact_points(repr(self.value))


class Unmasked(str):
    """Text the product made or checked and that names no person (a route template, a
    company key of a-z, 0-9, - and _): logged as it is, whatever digits it holds, as
    an argument of the message or as a request field."""

    __slots__ = ()


def _masked_arg(value: object) -> object:
    if isinstance(value, Unmasked):
        return value
    if isinstance(value, int | float):
        return value  # a number the line's format writes (`%d`): an id, a status, a time
    if isinstance(value, str):
        return mask_contact_points(value)
    return _MaskedValue(value)


def masked_record(record: logging.LogRecord, formatter: logging.Formatter) -> logging.LogRecord:
    """A copy of `record` whose message, arguments and traceback are masked."""
    masked = logging.makeLogRecord(record.__dict__)
    masked.msg = mask_contact_points(str(record.msg))
    if isinstance(record.args, Mapping):
        masked.args = {name: _masked_arg(value) for name, value in record.args.items()}
    elif record.args:
        masked.args = tuple(_masked_arg(value) for value in record.args)
    if record.exc_info and not record.exc_text:
        masked.exc_text = formatter.formatException(record.exc_info)
    if masked.exc_text:
        masked.exc_text = mask_contact_points(masked.exc_text)
    if masked.stack_info:
        masked.stack_info = mask_contact_points(masked.stack_info)
    return masked


class MaskingTextFormatter(logging.Formatter):
    """The plain text line, masked."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted line with contact points masked."""
        return super().format(masked_record(record, self))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and request fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object, masked."""
        record = masked_record(record, self)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                masks = isinstance(value, str) and not isinstance(value, Unmasked)
                line[name] = mask_contact_points(value) if masks else value
        # Lines written while a request is served name it, like its request line.
        if "request_id" not in line and (request_id := current_request_id.get()) is not None:
            line["request_id"] = request_id
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def logging_config(level: str, log_format: LogFormat) -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration: every line, uvicorn's included,
    through one masking formatter on stderr."""
    formatter = JsonFormatter if log_format == "json" else MaskingTextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"optledger": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "optledger",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Configure this process's logging."""
    logging.config.dictConfig(logging_config(level, log_format))
