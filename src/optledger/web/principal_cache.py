"""A short-lived, per-process memory of authenticated credentials.

Authenticating costs a database round trip on every request; remembering the
answer for a few seconds removes it from the hot path. The price is that a revoked
credential keeps working in a process for at most `ttl_seconds`.
"""

from __future__ import annotations

import hashlib
import time

from optledger.core.auth.credentials import CredentialKind, Principal

MAX_ENTRIES = 10_000


class PrincipalCache:
    """Principals by presented credential, forgotten after `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[tuple[str, str, str], tuple[float, Principal]] = {}

    @staticmethod
    def _key(kind: CredentialKind, lookup_id: str, secret: str) -> tuple[str, str, str]:
        # Keyed by a digest so the process does not hold presented secrets in a dict.
        return kind.value, lookup_id, hashlib.sha256(secret.encode()).hexdigest()

    def get(self, kind: CredentialKind, lookup_id: str, secret: str) -> Principal | None:
        """The remembered principal, if it is still fresh."""
        entry = self._entries.get(self._key(kind, lookup_id, secret))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, kind: CredentialKind, lookup_id: str, secret: str, principal: Principal) -> None:
        """Remember a principal that just authenticated."""
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        expires = time.monotonic() + self.ttl_seconds
        self._entries[self._key(kind, lookup_id, secret)] = (expires, principal)
