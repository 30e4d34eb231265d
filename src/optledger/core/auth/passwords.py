"""Operators' passwords, hashed with argon2id (argon2-cffi).

Unlike credential secrets, passwords are chosen by people and may be guessable, so
they get a slow, memory-hard hash. Hashing takes tens of milliseconds of CPU:
callers on the event loop run it in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from optledger.core.errors import InvalidInput

MIN_LENGTH = 12
# Long enough for any passphrase; a megabyte would only cost hashing time.
MAX_LENGTH = 1024
_hasher = PasswordHasher()


def generate_password() -> str:
    """A random password to print once: 144 bits, url-safe."""
    return secrets.token_urlsafe(18)


def check_new_password(password: str) -> str:
    """`password` if it may be chosen, else `InvalidInput`."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """The stored form of a password (a PHC string carrying its own salt and costs)."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _unknown_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(18))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (an unknown name) it is checked against
    a throwaway one, so the time taken tells nothing."""
    try:
        return _hasher.verify(stored_hash or _unknown_hash(), password[:MAX_LENGTH]) and (
            stored_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False
