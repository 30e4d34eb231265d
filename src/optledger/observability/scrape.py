"""`GET /metrics`: the Prometheus text format, for loopback clients or the metrics token.

Counters and histograms come from this process (or, with several server
processes, from all of them); the outbox backlog and whether a worker is alive
are read from the database at scrape time, in one statement.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from optledger.observability.heartbeats import worker_alive
from optledger.observability.metrics import is_multiprocess
from optledger.storage.clock import utcnow
from optledger.storage.database import Database
from optledger.storage.repositories.heartbeats import DeliveryState, delivery_state
from optledger.web.authorization import bearer_token
from optledger.web.errors import error_response

log = logging.getLogger(__name__)


def _is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def may_scrape(request: Request, token: str | None) -> bool:
    """A loopback client, or anyone presenting the configured metrics token."""
    if _is_loopback(request.client.host if request.client else None):
        return True
    if not token:
        return False
    presented = bearer_token(request.headers.get("authorization", ""))
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


class _DeliveryCollector:
    """The delivery state read for one scrape, as gauges."""

    def __init__(self, state: DeliveryState, now: datetime) -> None:
        self.state = state
        self.now = now

    def collect(self) -> Iterator[Metric]:
        """The outbox backlog, its oldest message's age and whether a worker is alive."""
        state = self.state
        yield GaugeMetricFamily(
            "optledger_outbox_queued_messages",
            "Messages waiting in the outbox (due now or retrying later).",
            value=state.queued,
        )
        oldest = state.oldest_queued_at
        yield GaugeMetricFamily(
            "optledger_outbox_oldest_queued_age_seconds",
            "How long the oldest message in the outbox has waited (0 when it is empty).",
            value=max((self.now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "optledger_worker_alive",
            "1 while some outbox worker sent a heartbeat within the last minute.",
            value=int(worker_alive(state.last_heartbeat_at, self.now)),
        )


async def _delivery_gauges(database: Database) -> bytes:
    try:
        state = await database.read(delivery_state)
    except Exception as exc:
        # The process's own metrics matter most while the database is away.
        log.warning("metrics: the outbox could not be read: %r", exc)
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DeliveryCollector(state, utcnow()))
    return generate_latest(registry)


async def metrics_response(request: Request) -> Response:
    """The metrics page, or 403 for a client that may not read it."""
    if not may_scrape(request, request.app.state.settings.metrics_token):
        return error_response(
            request.scope,
            403,
            "FORBIDDEN",
            "metrics are served to loopback clients and to holders of the metrics token",
        )
    if is_multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    gauges = await _delivery_gauges(request.app.state.database)
    return Response(own + gauges, media_type=CONTENT_TYPE_LATEST)
