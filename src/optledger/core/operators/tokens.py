"""Operators' API tokens for `/manage/v1/`, and what a token may reach.

A token is a lookup id and a 256-bit secret, as company credentials are
(`olo_<lookup>.<secret>`); only the SHA-256 of the secret is stored, compared in
constant time. A token acts for its operator: every company, or the few listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.auth.credentials import (
    IssuedSecret,
    hash_secret,
    new_lookup_and_secret,
    secret_matches,
    split_token,
)
from optledger.core.errors import Forbidden, NotFound, Unauthorized
from optledger.core.operators.accounts import get_operator
from optledger.core.text import checked_name
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import (
    CompanyRow,
    companies_matching,
    companies_page,
    company_by_key,
)
from optledger.storage.repositories.operators import (
    TokenListing,
    insert_token,
    revoke_token,
    token_by_lookup,
    tokens_of,
)
from optledger.storage.sql import Connection

TOKEN_PREFIX = "olo_"
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class IssuedToken(IssuedSecret):
    """An operator's new token, with the id and name it is listed under."""

    id: int
    name: str


@dataclass(frozen=True)
class OperatorPrincipal:
    """Who a management request acts for: an operator, through one token."""

    operator_id: int
    name: str
    token_id: int
    all_companies: bool
    company_ids: frozenset[int]

    def sees(self, company_id: int) -> bool:
        """Whether the operator may see and change the company."""
        return self.all_companies or company_id in self.company_ids


async def issue_operator_token(
    connection: Connection, operator: str, name: str | None = None
) -> IssuedToken:
    """A new token for the operator called `operator`; its secret is known only now."""
    found = await get_operator(connection, operator)
    lookup_id, secret = new_lookup_and_secret(TOKEN_PREFIX)
    named = checked_name(name or lookup_id, "a token", MAX_NAME_LENGTH)
    token_id = await insert_token(
        connection, found.id, named, lookup_id, hash_secret(secret), utcnow()
    )
    return IssuedToken(id=token_id, name=named, lookup_id=lookup_id, secret=secret)


async def list_operator_tokens(connection: Connection, operator: str) -> list[TokenListing]:
    """The operator's tokens, revoked ones included (never a secret)."""
    return await tokens_of(connection, (await get_operator(connection, operator)).id)


async def revoke_operator_token(connection: Connection, token: str) -> None:
    """Revoke a live token by its id or lookup id; servers refuse it within the
    credential cache time."""
    if not await revoke_token(connection, token.strip(), utcnow()):
        raise NotFound(f"no live operator token has the id or lookup id {token!r}")


async def authenticate_operator(connection: Connection, bearer: str) -> OperatorPrincipal:
    """The operator behind a presented token, or `Unauthorized`."""
    lookup_id, secret = split_token(bearer)
    stored = await token_by_lookup(connection, lookup_id)
    # Compared before `stored` is looked at: an unknown id takes as long as a known one.
    matches = secret_matches(None if stored is None else stored.secret_hash, secret)
    if stored is None or not matches:
        raise Unauthorized("invalid or missing operator token")
    return OperatorPrincipal(
        operator_id=stored.operator.id,
        name=stored.operator.name,
        token_id=stored.id,
        all_companies=stored.operator.all_companies,
        company_ids=stored.company_ids,
    )


async def operator_company(
    connection: Connection, principal: OperatorPrincipal, key: str
) -> CompanyRow:
    """The company with `key`, if the operator sees it.

    A company outside an operator's list is 403, and so is an unknown key for an
    operator limited to a few (they learn nothing of which keys exist); an operator
    who sees every company gets 404 for an unknown key.
    """
    company = await company_by_key(connection, key)
    if company is not None and principal.sees(company.id):
        return company
    if company is None and principal.all_companies:
        raise NotFound(f"company {key!r} does not exist")
    raise Forbidden(f"this operator may not manage company {key!r}")


async def visible_companies(
    connection: Connection, principal: OperatorPrincipal, *, after: str = "", limit: int = 100
) -> list[CompanyRow]:
    """The companies the operator sees, by key, after `after`."""
    return await companies_page(
        connection,
        after=after,
        limit=limit,
        operator_id=None if principal.all_companies else principal.operator_id,
    )


# The longest search text looked for; more says nothing a key or name could match.
MAX_SEARCH = 200


async def search_visible_companies(
    connection: Connection, principal: OperatorPrincipal, text: str, *, limit: int
) -> list[CompanyRow]:
    """The companies the operator sees whose key or name contains `text`, ignoring
    case, by key, at most `limit`; empty text matches every one."""
    wanted = text.strip()[:MAX_SEARCH].lower()
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await companies_matching(
        connection,
        f"%{escaped}%",
        limit=limit,
        operator_id=None if principal.all_companies else principal.operator_id,
    )


def require_every_company(principal: OperatorPrincipal) -> None:
    """Refuse what only an operator of every company may do (such as adding companies)."""
    if not principal.all_companies:
        raise Forbidden("only an operator who sees every company may do this")
