"""The kinds of company credential, apart from how they are issued and checked, so
that the command line can offer them without loading storage."""

from __future__ import annotations

from enum import StrEnum


class CredentialKind(StrEnum):
    """Which dialects a credential opens."""

    API_KEY = "api_key"
    LEGACY_TOKEN = "legacy_token"
    BASIC = "basic"
