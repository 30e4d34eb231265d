"""Fixtures the operator and unit CLI test modules share (imported there by name).

Those tests run once, on SQLite: each call starts an `optledger` process, and the
core it calls runs on both databases under the management API's tests. The server
beside the commands caches credentials briefly, so revocations show within a test.
"""

from __future__ import annotations

import pytest

from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import TEST_SECRET

CACHE_SECONDS = 0.3


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """The test SQLite database only."""
    return sqlite_database


@pytest.fixture
def settings() -> Settings:
    """A short credential cache, so that changes are seen within the test."""
    return Settings(
        secret_key=TEST_SECRET, run_worker_in_process=False, credential_cache_seconds=CACHE_SECONDS
    )
