"""Answers kept for idempotency keys are sealed: no secret or contact point at rest.

A kept answer may carry a secret shown once (a webhook's signing key, a callback's
secret, a new credential's token or password, signed unsubscribe links) and
people's phone numbers and addresses. Every one is kept encrypted (AES-256-GCM)
under a key derived, with HMAC-SHA256, from a server secret the database keeps
(`server_secrets`, name `idempotent_answers`) and the request's `Authorization`
header, which the database holds only as a hash. A retry presents the same
credential and reads its answer; a copy of the database alone reads none. Each
sealed answer is bound to its key and request, so one row's answer cannot be
moved to another.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.types import Scope

from optledger.core.server_secrets import installation_secret

SECRET_NAME = "idempotent_answers"
# The first byte of a sealed answer names how it was sealed.
_FORMAT = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class AnswerSeal:
    """Seals and opens the answers of one credential's requests."""

    def __init__(self, server_secret: str, authorization: bytes) -> None:
        key = hmac.new(
            server_secret.encode(), b"optledger idempotent answer\0" + authorization, hashlib.sha256
        ).digest()
        self._cipher = AESGCM(key)

    def seal(self, body: bytes, bound_to: bytes) -> bytes:
        """`body` encrypted and authenticated, with `bound_to` as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + self._cipher.encrypt(nonce, body, bound_to)

    def open(self, sealed: bytes, bound_to: bytes) -> bytes | None:
        """The body `seal` was given, or None when this seal cannot read it: kept
        before answers were sealed (an older process during an upgrade), or altered."""
        if not sealed.startswith(_FORMAT) or len(sealed) < 1 + _NONCE_BYTES + _TAG_BYTES:
            return None
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._cipher.decrypt(nonce, ciphertext, bound_to)
        except InvalidTag:
            return None


async def answer_seal(scope: Scope, authorization: bytes) -> AnswerSeal:
    """The seal of a request's credential (the server secret is read once a process)."""
    secret = await installation_secret(scope["app"].state.database, SECRET_NAME)
    return AnswerSeal(secret, authorization)
