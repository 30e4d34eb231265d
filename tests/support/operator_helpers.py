"""Operators and their tokens for the tests, made through the product's own core."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from optledger.core.operators.accounts import add_operator, new_password_hash
from optledger.core.operators.tokens import issue_operator_token
from optledger.storage.database import Database
from optledger.storage.sql import Connection

PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash for every test operator: hashing is slow on purpose."""
    return new_password_hash(PASSWORD)


@dataclass(frozen=True)
class TestOperator:
    """An operator and one of their tokens."""

    __test__ = False  # not a test class, whatever its name

    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_operator(database: Database, companies: list[str] | None = None) -> TestOperator:
    """A new operator who sees every company (None) or the company keys given, with a token."""
    name = f"op-{uuid.uuid4().hex[:12]}"
    hashed = password_hash()

    async def apply(connection: Connection) -> TestOperator:
        await add_operator(connection, name, hashed, companies)
        issued = await issue_operator_token(connection, name)
        return TestOperator(name=name, token=issued.token)

    made: TestOperator = await database.run(apply)
    return made


async def make_operator_without_token(
    database: Database, companies: list[str] | None = None
) -> str:
    """A new operator as `make_operator` makes one, but with no token (the console signs
    in with the password); returns their name."""
    name = f"op-{uuid.uuid4().hex[:12]}"
    hashed = password_hash()
    await database.run(lambda connection: add_operator(connection, name, hashed, companies))
    return name
