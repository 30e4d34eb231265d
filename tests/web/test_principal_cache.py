"""The credential cache forgets entries after its time to live."""

from __future__ import annotations

import time

import pytest

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import Principal
from optledger.storage.tables import Company
from optledger.web.principal_cache import PrincipalCache


def principal() -> Principal:
    return Principal(
        company=Company(key="c", name="c"), credential_id=1, credential_name="k", scopes=frozenset()
    )


def test_remembers_then_forgets(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PrincipalCache(ttl_seconds=5)
    remembered = principal()
    cache.put(CredentialKind.API_KEY, "olk_1", "secret", remembered)
    assert cache.get(CredentialKind.API_KEY, "olk_1", "secret") is remembered
    # A different secret or kind for the same lookup id is not the same credential.
    assert cache.get(CredentialKind.API_KEY, "olk_1", "other") is None
    assert cache.get(CredentialKind.LEGACY_TOKEN, "olk_1", "secret") is None
    later = time.monotonic() + 6
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert cache.get(CredentialKind.API_KEY, "olk_1", "secret") is None


def test_zero_ttl_disables_it() -> None:
    cache = PrincipalCache(ttl_seconds=0)
    cache.put(CredentialKind.API_KEY, "olk_1", "secret", principal())
    assert cache.get(CredentialKind.API_KEY, "olk_1", "secret") is None
