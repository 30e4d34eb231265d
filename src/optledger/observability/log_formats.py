"""How log lines are written, apart from the logging set-up, so that the command line
can offer the choice without loading it."""

from __future__ import annotations

from typing import Literal

LogFormat = Literal["text", "json"]
