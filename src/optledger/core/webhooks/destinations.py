"""Where webhooks may be sent: public HTTPS hosts, never into the operator's network.

A company chooses the URL, and the worker requests it from inside the operator's
network, so a URL naming a private, loopback, link-local or reserved address is
refused (server-side request forgery). DNS can change after registration, so the
worker checks the resolved addresses again as it connects for a delivery.

Only globally routed unicast addresses are public here, judged by IANA's
special-purpose address registries rather than by `ipaddress.is_global` (which, on
the Pythons supported, calls NAT64, 6to4 and IPv4-compatible addresses global). An
IPv6 address that carries an IPv4 one is judged by the IPv4 address where a
translator would really reach it (IPv4-mapped, NAT64's well-known prefix), and
refused outright where the form is deprecated or local (6to4, Teredo,
IPv4-compatible, local-use NAT64).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from optledger.core.errors import InvalidInput
from optledger.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A host name, once IDNA-encoded: letters, digits, '-' and '_' in dotted labels.
HOST_NAME = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")

_v4 = ipaddress.IPv4Network
_v6 = ipaddress.IPv6Network
# IANA's IPv4 special-purpose registry, whole: even its globally reachable entries
# are anycast services (PCP, TURN, AS112, AMT), never a webhook receiver.
SPECIAL_IPV4 = tuple(
    _v4(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
# Global unicast is only ever allocated from 2000::/3: everything outside it (the
# unspecified and loopback addresses, IPv4-compatible ::/96, SIIT's ::ffff:0:0:0/96,
# local-use NAT64 64:ff9b:1::/48, discard 100::/64, unique-local, link-local,
# site-local, multicast) is refused by that alone.
GLOBAL_UNICAST_IPV6 = _v6("2000::/3")
# The registry's entries inside 2000::/3: IETF protocol assignments 2001::/23
# (Teredo 2001::/32, benchmarking, ORCHID, anycast services), documentation
# 2001:db8::/32 and 3fff::/20, 6to4 2002::/16, AS112 2620:4f:8000::/48.
SPECIAL_IPV6 = tuple(
    _v6(network)
    for network in ("2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20")
)
# NAT64's well-known prefix (RFC 6052): a DNS64 resolver answers with it for
# IPv4-only hosts, and the translator reaches the IPv4 address in the last 32 bits.
NAT64_IPV6 = _v6("64:ff9b::/96")


class UnsafeDestination(InvalidInput):
    """A webhook URL this server will not request."""


@dataclass(frozen=True)
class DestinationRules:
    """What the operator allows: plain HTTP to loopback, and networks to reach anyway."""

    allow_http_loopback: bool = False
    allowed_networks: Sequence[IPNetwork] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings: Settings) -> DestinationRules:
        """The rules the operator configured for this process."""
        networks = settings.webhook_allowed_networks
        return cls(
            settings.allow_http_webhooks,
            tuple(ipaddress.ip_network(n, strict=False) for n in networks),
        )

    def allows(self, address: IPAddress) -> bool:
        """Whether a resolved address may be requested."""
        # A dual-stack socket connects to an IPv4-mapped address as to the IPv4 one.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_loopback:
            return self.allow_http_loopback
        return is_public(address)


def is_public(address: IPAddress) -> bool:
    """Whether an address is globally routed unicast, outside every special-purpose range."""
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in network for network in SPECIAL_IPV4)
    if address in NAT64_IPV6:
        return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address in GLOBAL_UNICAST_IPV6 and not any(
        address in network for network in SPECIAL_IPV6
    )


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
    if not _is_host(host):
        raise UnsafeDestination("url must name a valid host")
    if parts.scheme == "http" and not (rules.allow_http_loopback and _is_loopback_name(host)):
        raise UnsafeDestination("url must use https://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("url must not carry credentials")
    return Destination(url, host, port or (443 if parts.scheme == "https" else 80))


def _is_host(host: str) -> bool:
    """An IP address, or a name the resolver can be asked about (it refuses some, such
    as empty labels, with an error that is no `OSError`)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(name) <= 253 and HOST_NAME.fullmatch(name) is not None


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Lookups have threads of their own and a deadline: a resolver that hangs must
# neither hang a request nor take the default executor's threads, which SQLite
# commits run on.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="optledger-dns")
RESOLVE_SECONDS = 3.0


async def resolve(destination: Destination) -> list[IPAddress]:
    """The addresses a destination's host names; empty when it does not resolve in time."""
    try:
        return [ipaddress.ip_address(destination.host)]
    except ValueError:
        pass
    lookup = functools.partial(
        socket.getaddrinfo, destination.host, destination.port, type=socket.SOCK_STREAM
    )
    try:
        found = await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(_RESOLVER, lookup), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


async def check_destination(url: str, rules: DestinationRules) -> list[IPAddress]:
    """The addresses of a destination this server may request now, or `UnsafeDestination`.

    A host that does not resolve (yet) gives no addresses: registration accepts it,
    and delivery checks again as it connects, so a name that later points inside
    the network is refused then.
    """
    addresses = await resolve(check_without_dns(url, rules))
    check_addresses(addresses, rules)
    return addresses


def check_without_dns(url: str, rules: DestinationRules) -> Destination:
    """The checks that need no lookup: the URL's form, and its host if that is an address.

    A host name is checked once resolved: by `check_destination` at registration,
    and by the delivery client's resolver as each connection is made.
    """
    destination = parse_destination(url, rules)
    try:
        literal = ipaddress.ip_address(destination.host)
    except ValueError:
        return destination
    check_addresses([literal], rules)
    return destination


def check_addresses(addresses: Sequence[IPAddress], rules: DestinationRules) -> None:
    """Refuse the lot if any address is one webhooks may not reach."""
    for address in addresses:
        if not rules.allows(address):
            raise UnsafeDestination(
                "url resolves to a private or reserved address; webhooks must reach a public host"
            )
