"""How a sign-up unit collects consent, apart from the units' rules, so that the
command line can offer the methods without loading storage."""

from __future__ import annotations

API_METHOD = "API"
METHODS = ("API", "KEYWORD", "FORM", "IMPORT")
