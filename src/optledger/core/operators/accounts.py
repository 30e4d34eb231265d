"""Operators' accounts: add, list, remove, a new password, which companies they see.

Passwords reach these functions hashed (`new_password_hash`): hashing is slow on
purpose, and is done before the unit of work, not while it holds the database.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from optledger.core.auth.passwords import check_new_password, hash_password
from optledger.core.companies import get_company_by_key
from optledger.core.errors import Conflict, InvalidInput, NotFound
from optledger.storage.clock import utcnow
from optledger.storage.repositories.operators import (
    OperatorRow,
    all_operators,
    company_ids_of,
    company_keys_by_operator,
    delete_operator,
    insert_operator,
    operator_named,
    set_companies,
    set_password_hash,
    set_session_epoch,
)
from optledger.storage.sql import Connection

_NAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,99}$")


@dataclass(frozen=True)
class OperatorView:
    """An operator as listed: never their password hash."""

    name: str
    all_companies: bool
    company_keys: list[str]
    created_at: datetime
    password_changed_at: datetime


def operator_name(raw: str) -> str:
    """An operator's name as stored: trimmed and lower-cased (`Ann` and `ann` are one)."""
    name = raw.strip().lower()
    if not _NAME.match(name):
        raise InvalidInput(
            f"operator name {raw!r} must be 1-100 characters of a-z, 0-9, '.', '_', '@', '+' "
            "or '-', starting with a letter or digit"
        )
    return name


def new_session_epoch() -> str:
    """A fresh session epoch: console sessions naming any other one are over."""
    return secrets.token_urlsafe(24)


async def end_sessions(connection: Connection, operator_id: int) -> None:
    """End every console session of the operator (signing out ends them all)."""
    await set_session_epoch(connection, operator_id, new_session_epoch())


def new_password_hash(password: str) -> str:
    """The hash of a password an operator may choose (slow: call it outside a unit of work)."""
    return hash_password(check_new_password(password))


async def get_operator(connection: Connection, name: str) -> OperatorRow:
    """The operator called `name`, or `NotFound`."""
    found = await operator_named(connection, operator_name(name))
    if found is None:
        raise NotFound(f"no operator is called {name!r}")
    return found


async def _company_ids(connection: Connection, keys: Sequence[str]) -> list[int]:
    return sorted({(await get_company_by_key(connection, key)).id for key in keys})


async def add_operator(
    connection: Connection,
    name: str,
    password_hash: str,
    company_keys: Sequence[str] | None = None,
) -> OperatorRow:
    """A new operator who sees every company (`company_keys` None) or the companies listed."""
    stored_name = operator_name(name)
    company_ids = await _company_ids(connection, company_keys or [])
    operator_id = await insert_operator(
        connection, stored_name, password_hash, company_keys is None, utcnow(), new_session_epoch()
    )
    if operator_id is None:
        raise Conflict(f"an operator is already called {stored_name!r}")
    await set_companies(connection, operator_id, company_keys is None, company_ids)
    return await get_operator(connection, stored_name)


async def list_operators(connection: Connection) -> list[OperatorView]:
    """Every operator, by name, with the companies they see."""
    keys = await company_keys_by_operator(connection)
    return [
        OperatorView(
            name=found.name,
            all_companies=found.all_companies,
            company_keys=[] if found.all_companies else keys.get(found.id, []),
            created_at=found.created_at,
            password_changed_at=found.password_changed_at,
        )
        for found in await all_operators(connection)
    ]


async def remove_operator(connection: Connection, name: str) -> None:
    """Remove an operator and their tokens (operators own no consent: nothing points here)."""
    await delete_operator(connection, (await get_operator(connection, name)).id)


async def change_password(connection: Connection, name: str, password_hash: str) -> None:
    """Give an operator a new password (hashed by `new_password_hash`); their console
    sessions end."""
    found = await get_operator(connection, name)
    await set_password_hash(connection, found.id, password_hash, utcnow(), new_session_epoch())


async def set_operator_companies(
    connection: Connection, name: str, company_keys: Sequence[str] | None
) -> None:
    """Let an operator see every company (None) or exactly the companies listed.

    Running servers apply it to tokens within the credential cache time, as with
    revocations. An operator who loses a company loses their console sessions too:
    a cookie copied while they saw it opens nothing afterwards.
    """
    found = await get_operator(connection, name)
    company_ids = await _company_ids(connection, company_keys or [])
    seen_before = await company_ids_of(connection, found)
    # Only a list can take something away: every company (None) loses nothing.
    loses = company_keys is not None and (
        found.all_companies or bool(seen_before - set(company_ids))
    )
    await set_companies(connection, found.id, company_keys is None, company_ids)
    if loses:
        await end_sessions(connection, found.id)
