"""Log lines as text or as one JSON object per line, with contact points masked.

Both formats mask phone numbers and email addresses in the whole line (message,
fields and tracebacks): a log file must not outlive an erasure with them in it.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

from optledger.core.contact_points import mask_contact_points
from optledger.dialects.request_ids import current_request_id

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a request line carries besides its message (see `request_log`).
REQUEST_FIELDS = ("request_id", "company_key", "route", "method", "status", "latency_ms")


def _masked(text: str) -> str:
    # Every phone number masked starts with "+" and every address has an "@": most
    # lines have neither and skip the regular expressions, a cost on every request.
    return mask_contact_points(text) if "+" in text or "@" in text else text


class MaskingTextFormatter(logging.Formatter):
    """The plain text line, masked."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted line with contact points masked."""
        return _masked(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and request fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object, masked."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _masked(record.getMessage()),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = _masked(value) if isinstance(value, str) else value
        # Lines written while a request is served name it, like its request line.
        if "request_id" not in line and (request_id := current_request_id.get()) is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = _masked(self.formatException(record.exc_info))
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
