"""Database URLs: the embedded SQLite file, or PostgreSQL in libpq's form.

A PostgreSQL URL may name several hosts, as libpq does
(`postgresql+asyncpg://u:p@h1:5432,h2:5432/db?target_session_attrs=read-write`):
a connection goes to the first host whose role fits `target_session_attrs`. That
is how optledger finds the primary of a replicated cluster after a failover,
without a proxy and without a restart. SQLAlchemy's URL parser does not take
several hosts, so the product parses the URL here and hands asyncpg (which
implements libpq's rules) the plain DSN.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import asyncpg

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

Role = Literal["primary", "read"]

# What each URL may ask for: writes need the primary, reads may go anywhere.
PRIMARY_ATTRS = ("read-write", "primary", "any")
READ_ATTRS = ("prefer-standby", "standby", "read-only", "any")
DEFAULT_ATTRS: dict[Role, str] = {"primary": "read-write", "read": "prefer-standby"}
# libpq waits for ever by default; a dead host must not hold a request that long.
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0

_POSTGRES_SCHEMES = ("postgresql", "postgresql+asyncpg", "postgres")


class InvalidDatabaseUrl(ValueError):
    """The URL is neither a SQLite file nor a PostgreSQL URL this release can use."""


# What a host that cannot serve this URL fails with: try the next one.
_NEXT_HOST = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.TargetServerAttributeNotMatched,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)


@dataclass(frozen=True)
class PostgresAddress:
    """Where and how to connect to PostgreSQL: hosts tried in order, as libpq does."""

    userinfo: str
    hosts: tuple[str, ...]
    database: str
    target_session_attrs: str
    connect_timeout: float
    options: tuple[tuple[str, str], ...] = ()

    def dsn_for(self, hosts: tuple[str, ...], attrs: str) -> str:
        """The DSN asyncpg takes for `hosts` and session attributes `attrs`."""
        netloc = f"{self.userinfo}@{','.join(hosts)}" if self.userinfo else ",".join(hosts)
        query = urllib.parse.urlencode([*self.options, ("target_session_attrs", attrs)])
        return urllib.parse.urlunsplit(("postgresql", netloc, "/" + self.database, query, ""))

    @property
    def dsn(self) -> str:
        """The DSN of every host, as the URL named them."""
        return self.dsn_for(self.hosts, self.target_session_attrs)

    @property
    def describe(self) -> str:
        """The hosts and database, without credentials (for logs and errors)."""
        return f"{','.join(self.hosts)}/{self.database} ({self.target_session_attrs})"

    async def connect(self, *_pool_args: object, **_pool_kwargs: object) -> asyncpg.Connection:
        """One connection to the first host that fits the target session attributes.

        Each host gets `connect_timeout` of its own: asyncpg's timeout covers the whole
        list, so one dead host that drops packets would use it all and the next host
        would never be tried. `prefer-standby` tries every host as a standby first.
        """
        passes = ["standby", "any"] if self.target_session_attrs == "prefer-standby" else []
        last: BaseException | None = None
        for attrs in passes or [self.target_session_attrs]:
            for host in self.hosts:
                try:
                    return await asyncpg.connect(
                        self.dsn_for((host,), attrs), timeout=self.connect_timeout
                    )
                except _NEXT_HOST as exc:
                    last = exc
        assert last is not None
        raise last


def is_sqlite_url(url: str) -> bool:
    """Whether `url` names the embedded SQLite kind."""
    return url.split(":", 1)[0].split("+", 1)[0] == "sqlite"


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for an in-memory database): what follows the
    (empty) host, percent-decoded, as SQLAlchemy reads it."""
    after_scheme = url.split("://", 1)[1] if "://" in url else ""
    database = urllib.parse.unquote(after_scheme.split("?", 1)[0].partition("/")[2])
    return None if database in ("", ":memory:") else database


def parse_postgres_url(url: str, role: Role = "primary") -> PostgresAddress:
    """A PostgreSQL URL, one host or several, checked for the role it plays.

    Without `target_session_attrs`, the primary's URL asks for `read-write` (so a
    list of hosts finds the primary) and a read URL for `prefer-standby`.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _POSTGRES_SCHEMES:
        raise InvalidDatabaseUrl(
            "a database URL starts with sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    parts = urllib.parse.urlsplit("postgresql://" + rest)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    attrs = query.pop("target_session_attrs", DEFAULT_ATTRS[role])
    allowed = PRIMARY_ATTRS if role == "primary" else READ_ATTRS
    if attrs not in allowed:
        raise InvalidDatabaseUrl(
            f"target_session_attrs={attrs} does not fit the {role} URL; "
            f"use one of {', '.join(allowed)}"
        )
    try:
        timeout = float(query.pop("connect_timeout", DEFAULT_CONNECT_TIMEOUT_SECONDS))
    except ValueError:
        raise InvalidDatabaseUrl("connect_timeout must be a number of seconds") from None
    userinfo, _, hosts_part = parts.netloc.rpartition("@")
    hosts = tuple(host for host in hosts_part.split(",") if host)
    if not hosts:
        raise InvalidDatabaseUrl("a PostgreSQL URL names at least one host")
    database = parts.path.lstrip("/") or "postgres"
    return PostgresAddress(userinfo, hosts, database, attrs, timeout, tuple(query.items()))


def create_engine(url: str) -> AsyncEngine:
    """A SQLAlchemy engine for migrations and inspection, on either kind of URL.

    On PostgreSQL, connections come from asyncpg with the full DSN, so several
    hosts and `target_session_attrs` work here too.
    """
    from sqlalchemy.ext.asyncio import create_async_engine

    if is_sqlite_url(url):
        return create_async_engine(url)
    address = parse_postgres_url(url)
    return create_async_engine("postgresql+asyncpg://", async_creator=address.connect)
