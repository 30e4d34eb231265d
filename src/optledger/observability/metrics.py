"""The process's Prometheus metrics, and where their values are recorded.

With several server processes, `serve` points PROMETHEUS_MULTIPROC_DIR at a
folder of its own before starting them: each process then keeps its values in
files there, and whichever process answers a scrape adds them all up. Values
read from the database at scrape time are not kept here (see `scrape`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator

from prometheus_client import Counter, Histogram

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "optledger_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "optledger_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    # Hot reads take a millisecond or less: the default buckets start too high.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELIVERIES = Counter(
    "optledger_deliveries",
    "Delivery attempts by kind (messages, webhooks) and result: sent, retried (will be "
    "tried again), dead, or skipped (outside a callback's list or window).",
    ["kind", "result"],
)
CONSENT_EVENTS = Counter(
    "optledger_consent_events",
    "Consent events written to the audit trail, by kind (subscription_created, "
    "subscription_ended, ...).",
    ["kind"],
)
STANDBY_READS = Counter(
    "optledger_reads",
    "Reads that may use a standby (with OPTLEDGER_READ_DATABASE_URL set), by where they "
    "were served: standby, or primary when the standby failed or is being skipped.",
    ["served_by"],
)

# Anything else a client sends would make a new series per invented method.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    method = method if method in _METHODS else "OTHER"
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)


def count_deliveries(kind: str, result: str, count: int) -> None:
    """Count `count` delivery attempts of `kind` that ended in `result`."""
    if count:
        DELIVERIES.labels(kind, result).inc(count)


def count_consent_events(kinds: Iterable[str]) -> None:
    """Count events as they are written."""
    for kind in kinds:
        # Message events are the outbox's: `optledger_deliveries` counts those.
        if not kind.startswith("message_"):
            CONSENT_EVENTS.labels(kind).inc()


def count_read(served_by: str) -> None:
    """Count one read that a standby could have served, by where it was served."""
    STANDBY_READS.labels(served_by).inc()


def is_multiprocess() -> bool:
    """Whether this process shares its metrics with sibling processes through files."""
    return bool(os.environ.get(MULTIPROC_DIR))


@contextlib.contextmanager
def multiprocess_metrics(processes: int) -> Iterator[None]:
    """With more than one process, a fresh metrics folder for their lifetime.

    Set before the processes start, so that each finds it when it imports this
    module; removed at exit, because values left from an earlier run would be
    added to the next run's.
    """
    if processes <= 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="optledger-metrics-") as folder:
        os.environ[MULTIPROC_DIR] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR]
