"""Operators: their accounts, their management API tokens, and the companies a token reaches.

Passwords come here hashed (`core.operators.accounts.new_password_hash`): hashing is
slow on purpose and is done before the unit of work, not while it holds the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.audit import Actor, changed_fields, record_change
from optledger.core.operators import accounts, tokens
from optledger.core.operators.accounts import OperatorView
from optledger.core.operators.tokens import IssuedToken, OperatorPrincipal
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.operators import OperatorRow as OperatorRow
from optledger.storage.repositories.operators import TokenListing as TokenListing
from optledger.storage.sql import Connection

# Operators belong to the installation: their entries name no company.
_NO_COMPANY = None


def _companies(company_keys: Sequence[str] | None) -> list[str] | str:
    """The companies an operator sees, as the audit trail writes them."""
    return "every company" if company_keys is None else sorted(company_keys)


async def _companies_seen(connection: Connection, name: str) -> list[str] | str | None:
    """The companies the operator named `name` sees now, as `_companies` writes them."""
    for view in await accounts.list_operators(connection):
        if view.name == name:
            return _companies(None if view.all_companies else view.company_keys)
    return None


async def add_operator(
    database: Database,
    name: str,
    password_hash: str,
    company_keys: Sequence[str] | None,
    *,
    actor: Actor | None,
) -> OperatorRow:
    """A new operator who sees every company (`company_keys` None) or the companies listed."""

    async def add(connection: Connection) -> OperatorRow:
        added = await accounts.add_operator(connection, name, password_hash, company_keys)
        changes = {"companies": {"before": None, "after": _companies(company_keys)}}
        await record_change(
            connection, actor, _NO_COMPANY, "operator.created", "operator", added.name, changes
        )
        return added

    return await database.run(add)


async def list_operators(database: Database) -> list[OperatorView]:
    """Every operator, by name, with the companies they see (never a password)."""
    return await database.read(accounts.list_operators, standby=True)


async def remove_operator(database: Database, name: str, *, actor: Actor | None) -> None:
    """Remove an operator and their tokens."""

    async def remove(connection: Connection) -> None:
        await accounts.remove_operator(connection, name)
        removed = accounts.operator_name(name)
        await record_change(connection, actor, _NO_COMPANY, "operator.removed", "operator", removed)

    await database.run(remove)


async def change_password(
    database: Database, name: str, password_hash: str, *, actor: Actor | None
) -> None:
    """Give an operator a new password (already hashed); their console sessions end."""

    async def change(connection: Connection) -> None:
        await accounts.change_password(connection, name, password_hash)
        # That it changed; neither password nor hash.
        changed = accounts.operator_name(name)
        await record_change(
            connection, actor, _NO_COMPANY, "operator.password_changed", "operator", changed
        )

    await database.run(change)


async def set_operator_companies(
    database: Database, name: str, company_keys: Sequence[str] | None, *, actor: Actor | None
) -> None:
    """Let an operator see every company (None) or exactly the companies listed; one who
    loses a company loses their console sessions too."""

    async def change(connection: Connection) -> None:
        changed = accounts.operator_name(name)
        before = await _companies_seen(connection, changed)
        await accounts.set_operator_companies(connection, name, company_keys)
        after = await _companies_seen(connection, changed)
        changes = changed_fields({"companies": before}, {"companies": after})
        await record_change(
            connection, actor, _NO_COMPANY, "operator.companies_set", "operator", changed, changes
        )

    await database.run(change)


async def issue_token(
    database: Database, operator: str, name: str | None = None, *, actor: Actor | None
) -> IssuedToken:
    """A new management API token for the operator; its secret is known only now."""

    async def issue(connection: Connection) -> IssuedToken:
        issued = await tokens.issue_operator_token(connection, operator, name)
        changes = {
            "operator": {"before": None, "after": operator},
            "name": {"before": None, "after": issued.name},
        }
        await record_change(
            connection,
            actor,
            _NO_COMPANY,
            "operator.token_issued",
            "operator_token",
            issued.id,
            changes,
        )
        return issued

    return await database.run(issue)


async def list_tokens(database: Database, operator: str) -> list[TokenListing]:
    """The operator's tokens, revoked ones included (never a secret)."""
    return await database.read(
        lambda connection: tokens.list_operator_tokens(connection, operator), standby=True
    )


async def revoke_token(database: Database, token: str, *, actor: Actor | None) -> None:
    """Revoke a live token by its id or lookup id."""

    async def revoke(connection: Connection) -> None:
        await tokens.revoke_operator_token(connection, token)
        await record_change(
            connection, actor, _NO_COMPANY, "operator.token_revoked", "operator_token", token
        )

    await database.run(revoke)


async def authenticate_operator(database: Database, bearer: str) -> OperatorPrincipal:
    """The operator behind a presented token, or `Unauthorized`."""
    return await database.read(lambda connection: tokens.authenticate_operator(connection, bearer))


async def operator_company(
    database: Database, principal: OperatorPrincipal, key: str
) -> CompanyRow:
    """The company with `key` if the operator sees it; else `Forbidden` (or `NotFound`,
    told only to an operator of every company)."""
    return await database.read(
        lambda connection: tokens.operator_company(connection, principal, key)
    )
