"""The HTTP client webhook deliveries go out through.

It is aiohttp rather than the httpx the rest of the product uses: a delivery costs
the worker about a fifth of the CPU (httpx's pool scans every connection on each
request), and deliveries are the one place the worker sends thousands a second.

Its resolver applies the destination rules to every address a host name resolves
to, as each connection is made: the address connected to is the address checked,
whatever the name's DNS says by then. An address in the URL itself is checked
before each request, since no lookup happens for it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from optledger.core.webhooks.destinations import (
    Destination,
    DestinationRules,
    UnsafeDestination,
    check_addresses,
    check_without_dns,
    resolve,
)
from optledger.delivery.engine import Attempted

# Enough of an answer to keep the connection and to quote in the delivery log.
ANSWER_BYTES = 4096


class CheckedResolver(AbstractResolver):
    """Looks host names up on the rules' own threads, refusing unsafe addresses."""

    def __init__(self, rules: DestinationRules) -> None:
        self.rules = rules

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses to connect to; `UnsafeDestination` if any is off limits."""
        name = host.rstrip(".")
        addresses = await resolve(Destination(url=name, host=name, port=port))
        if not addresses:
            # An OSError: aiohttp reports it as a connection error, which is retried.
            raise OSError(f"{name} does not resolve")
        check_addresses(addresses, self.rules)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release: the lookup threads are shared."""


class WebhookClient:
    """Sends one signed delivery and says how it went; never raises."""

    def __init__(self, session: aiohttp.ClientSession, rules: DestinationRules) -> None:
        self.session = session
        self.rules = rules

    async def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Attempted:
        """POST or PUT `body`; 2xx is delivered, other 4xx are not worth retrying."""
        started = time.perf_counter()
        try:
            check_without_dns(url, self.rules)
            async with self.session.request(
                method, url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                answer = await response.content.read(ANSWER_BYTES)
        except UnsafeDestination as exc:
            return Attempted(ok=False, error=f"refused: {exc}", retryable=False)
        except TimeoutError:
            return Attempted(ok=False, error="timed out", latency_ms=_since(started))
        except aiohttp.ClientError as exc:
            return Attempted(ok=False, error=f"unreachable: {exc!r}"[:2000])
        latency = _since(started)
        if 200 <= status < 300:
            return Attempted(ok=True, status_code=status, latency_ms=latency)
        return Attempted(
            ok=False,
            error=f"answered {status}: {answer[:200].decode(errors='replace')}",
            retryable=not 400 <= status < 500,
            status_code=status,
            latency_ms=latency,
        )


@asynccontextmanager
async def open_webhook_client(
    rules: DestinationRules, timeout_seconds: float
) -> AsyncIterator[WebhookClient]:
    """A client with its own connection pool, closed on exit."""
    # No connection limit of its own: the engine's `max_in_flight` bounds the sends,
    # and a lower limit here would queue every receiver's sends behind a slow one's.
    connector = aiohttp.TCPConnector(limit=0, resolver=CheckedResolver(rules))
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    ) as session:
        yield WebhookClient(session, rules)


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
