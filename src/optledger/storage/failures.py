"""How a database call failed: lost a race, lost its connection, or met a standby.

`Database` replays a unit of work that lost a race, reconnects after a lost
connection, and answers 503 (`DatabaseUnavailable`) when no primary answers.
"""

from __future__ import annotations

import sqlite3

import asyncpg


class DatabaseUnavailable(Exception):
    """The database could not be reached; the request may be retried later."""


class LostRace(Exception):
    """A unit of work collided with a concurrent one and should be replayed."""


def is_lost_race(exc: BaseException) -> bool:
    if isinstance(
        exc,
        asyncpg.UniqueViolationError
        | asyncpg.SerializationError
        | asyncpg.DeadlockDetectedError
        | LostRace,
    ):
        return True
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        return "database is locked" in str(exc)
    return False


def is_connection_lost(exc: BaseException) -> bool:
    """The connection is gone or unusable: reconnect (to whichever host is primary now).

    A server killed mid-statement can leave asyncpg's side of a pooled connection
    half-way through an operation (`InternalClientError`); that connection is
    dropped like a closed one. A server that shut down or crashed (57P01-57P03) or
    closed an idle session (57P05) ends the connection the same way (class 08).
    """
    return isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | asyncpg.InternalClientError
        | asyncpg.PostgresConnectionError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.IdleSessionTimeoutError
        | asyncpg.exceptions.TargetServerAttributeNotMatched
        | ConnectionError
        | OSError
        | TimeoutError,
    ) or (isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc))


def is_demoted(exc: BaseException) -> bool:
    """A write reached a server that is (now) a standby: the primary moved."""
    return isinstance(exc, asyncpg.ReadOnlySQLTransactionError)
