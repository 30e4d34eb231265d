"""Rate limits per credential: a token bucket in each server process.

A credential's bucket holds one second of its rate and refills continuously, so a
client may burst up to its limit and then proceeds at the rate. Buckets live in
the process: with several server processes each keeps its share of the rate
(`processes`), which holds the total while connections spread evenly over them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class RateDecision:
    """What the limiter said about one request."""

    limit: int
    remaining: int
    # Seconds until a request would be admitted; 0 when this one was.
    retry_after: float

    @property
    def admitted(self) -> bool:
        """Whether the request may proceed."""
        return self.retry_after == 0


class RateLimiter:
    """Token buckets by credential id."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        # credential id -> (tokens, when they were counted)
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, credential_id: int, per_second: int) -> RateDecision:
        """Take one request from the credential's bucket, if there is one to take."""
        rate = max(per_second / self.processes, 1.0)
        now = time.monotonic()
        tokens, then = self._buckets.get(credential_id, (rate, now))
        tokens = min(rate, tokens + (now - then) * rate)
        if tokens >= 1:
            tokens -= 1
            retry_after = 0.0
        else:
            retry_after = (1 - tokens) / rate
        if len(self._buckets) >= MAX_BUCKETS:
            # Full buckets are what a forgotten credential would start with anyway.
            self._buckets.clear()
        self._buckets[credential_id] = (tokens, now)
        return RateDecision(
            limit=per_second, remaining=math.floor(tokens * self.processes), retry_after=retry_after
        )
