"""A short-lived, per-process memory of authenticated credentials.

Authenticating costs a database round trip on every request; remembering the
answer for a few seconds removes it from the hot path. The price is that a revoked
credential keeps working in a process for at most `ttl_seconds`. Company
credentials (`PrincipalCache`) and operators' tokens (`dialects.manage`) are both
remembered this way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Hashable
from typing import Generic, TypeVar

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal

MAX_ENTRIES = 10_000
T = TypeVar("T")


def secret_digest(secret: str) -> str:
    """What a cache keys a presented secret by, so the process holds no presented
    secrets in a dict."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ExpiringCache(Generic[T]):
    """Values by key, forgotten `ttl_seconds` after they were put; a full cache is
    emptied at once (a miss costs only one database read)."""

    def __init__(self, ttl_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, T]] = {}

    def get(self, key: Hashable) -> T | None:
        """The remembered value, if it is still fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: Hashable, value: T) -> None:
        """Remember a value (never, with a time to live of 0)."""
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl_seconds, value)


class PrincipalCache:
    """Company principals by presented credential, forgotten after `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self._principals: ExpiringCache[Principal] = ExpiringCache(ttl_seconds)

    @staticmethod
    def _key(kind: CredentialKind, lookup_id: str, secret: str) -> tuple[str, str, str]:
        return kind.value, lookup_id, secret_digest(secret)

    def get(self, kind: CredentialKind, lookup_id: str, secret: str) -> Principal | None:
        """The remembered principal, if it is still fresh."""
        return self._principals.get(self._key(kind, lookup_id, secret))

    def put(self, kind: CredentialKind, lookup_id: str, secret: str, principal: Principal) -> None:
        """Remember a principal that just authenticated."""
        self._principals.put(self._key(kind, lookup_id, secret), principal)
