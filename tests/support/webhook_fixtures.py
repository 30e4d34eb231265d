"""Fixtures and a step the webhook test modules share (imported there by name): a real
receiver, a client that may post to it on loopback, and the worker's delivery step.

`database` and `settings` are for modules that drain every due delivery: such a
module keeps a database of its own, and allows plain HTTP to loopback, as local
development does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from optledger.core.webhooks.destinations import DestinationRules
from optledger.delivery.engine import EnginePolicy, deliver_batch
from optledger.delivery.webhook_client import WebhookClient, open_webhook_client
from optledger.delivery.webhooks import WebhookJobs
from optledger.settings import Settings
from optledger.storage.database import Database
from tests.conftest import TEST_SECRET
from tests.support.webhook_receiver import Receiver

LOOPBACK = DestinationRules(allow_http_loopback=True)
# Retries come due at once, so that a test needs no clock.
AT_ONCE = EnginePolicy(backoff_base_seconds=0)


@pytest.fixture
def database(module_database: Database) -> Database:
    """The module's own database: it drains every due delivery."""
    return module_database


@pytest.fixture
def settings() -> Settings:
    """Settings that allow plain HTTP to loopback, where the receiver listens."""
    return Settings(secret_key=TEST_SECRET, run_worker_in_process=False, allow_http_webhooks=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1, stopped after the test."""
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
async def http() -> AsyncIterator[WebhookClient]:
    """A webhook client that may post to loopback and waits 2 s for an answer."""
    async with open_webhook_client(LOOPBACK, timeout_seconds=2) as client:
        yield client


async def deliver_due(
    database: Database, jobs: WebhookJobs, policy: EnginePolicy = AT_ONCE
) -> None:
    """The worker's step: deliver whatever is due until nothing is."""
    while await deliver_batch(database, jobs, policy):
        pass
