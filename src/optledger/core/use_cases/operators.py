"""Operators: their accounts, their management API tokens, and the companies a token reaches.

Passwords come here hashed (`core.operators.accounts.new_password_hash`): hashing is
slow on purpose and is done before the unit of work, not while it holds the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from optledger.core.operators import accounts, tokens
from optledger.core.operators.accounts import OperatorView
from optledger.core.operators.tokens import IssuedToken, OperatorPrincipal
from optledger.storage.database import Database
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.operators import OperatorRow as OperatorRow
from optledger.storage.repositories.operators import TokenListing as TokenListing


async def add_operator(
    database: Database, name: str, password_hash: str, company_keys: Sequence[str] | None
) -> OperatorRow:
    """A new operator who sees every company (`company_keys` None) or the companies listed."""
    return await database.run(
        lambda connection: accounts.add_operator(connection, name, password_hash, company_keys)
    )


async def list_operators(database: Database) -> list[OperatorView]:
    """Every operator, by name, with the companies they see (never a password)."""
    return await database.read(accounts.list_operators, standby=True)


async def remove_operator(database: Database, name: str) -> None:
    """Remove an operator and their tokens."""
    await database.run(lambda connection: accounts.remove_operator(connection, name))


async def change_password(database: Database, name: str, password_hash: str) -> None:
    """Give an operator a new password (already hashed); their console sessions end."""
    await database.run(lambda connection: accounts.change_password(connection, name, password_hash))


async def set_operator_companies(
    database: Database, name: str, company_keys: Sequence[str] | None
) -> None:
    """Let an operator see every company (None) or exactly the companies listed; one who
    loses a company loses their console sessions too."""
    await database.run(
        lambda connection: accounts.set_operator_companies(connection, name, company_keys)
    )


async def issue_token(database: Database, operator: str, name: str | None = None) -> IssuedToken:
    """A new management API token for the operator; its secret is known only now."""
    return await database.run(
        lambda connection: tokens.issue_operator_token(connection, operator, name)
    )


async def list_tokens(database: Database, operator: str) -> list[TokenListing]:
    """The operator's tokens, revoked ones included (never a secret)."""
    return await database.read(
        lambda connection: tokens.list_operator_tokens(connection, operator), standby=True
    )


async def revoke_token(database: Database, token: str) -> None:
    """Revoke a live token by its id or lookup id."""
    await database.run(lambda connection: tokens.revoke_operator_token(connection, token))


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
