"""Where webhooks may be sent: public HTTPS hosts, never into the operator's network.

A company chooses the URL, and the worker requests it from inside the operator's
network, so a URL naming a private, loopback, link-local or reserved address is
refused (server-side request forgery). DNS can change after registration, so the
worker checks the resolved addresses again before every delivery.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from optledger.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeDestination(InvalidInput):
    """A webhook URL this server will not request."""


@dataclass(frozen=True)
class DestinationRules:
    """What the operator allows: plain HTTP to loopback, and networks to reach anyway."""

    allow_http_loopback: bool = False
    allowed_networks: Sequence[IPNetwork] = field(default_factory=tuple)

    @classmethod
    def of(cls, allow_http: bool, networks: Sequence[str]) -> DestinationRules:
        """Rules from the process settings."""
        return cls(allow_http, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def allows(self, address: IPAddress) -> bool:
        """Whether a resolved address may be requested."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_loopback:
            return self.allow_http_loopback
        return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Destination:
    """A URL split into what the checks need."""

    url: str
    host: str
    port: int


def parse_destination(url: str, rules: DestinationRules) -> Destination:
    """The URL's host and port, if its scheme and form are acceptable; no DNS here."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"url is not a valid URL: {exc}") from exc
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeDestination("url must be an absolute https:// URL")
    if parts.scheme == "http" and not (rules.allow_http_loopback and _is_loopback_name(host)):
        raise UnsafeDestination("url must use https://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("url must not carry credentials")
    return Destination(url, host, port or (443 if parts.scheme == "https" else 80))


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def resolve(destination: Destination) -> list[IPAddress]:
    """The addresses a destination's host names; empty when it does not resolve."""
    try:
        return [ipaddress.ip_address(destination.host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


async def check_destination(url: str, rules: DestinationRules) -> Destination:
    """A destination this server may request now, or `UnsafeDestination`.

    A host that does not resolve yet is accepted at registration: delivery checks
    again, and a name that later points inside the network is refused then.
    """
    destination = parse_destination(url, rules)
    for address in await resolve(destination):
        if not rules.allows(address):
            raise UnsafeDestination(
                "url resolves to a private or reserved address; webhooks must reach a public host"
            )
    return destination
