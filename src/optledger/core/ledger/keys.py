"""The installation's ledger signing key: one Ed25519 key, the same on every host.

It is derived (HKDF-SHA256) from a secret the installation keeps in its database
(`server_secrets`, name `ledger`), so every process of every host signs with the
same key and nothing is kept on disk. Whoever reads that secret can sign heads:
publish checkpoints elsewhere (see docs/ledger.md) so that a head signed later
cannot replace one already published.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from optledger.core.server_secrets import installation_secret
from optledger.storage.database import Database

SECRET_NAME = "ledger"
DERIVATION_INFO = b"optledger ledger signing key v1"


@dataclass(frozen=True)
class LedgerKey:
    """The signing key, its public half and the id heads name it by."""

    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    key_id: str


def raw_public_key(public: Ed25519PublicKey) -> bytes:
    """The 32 bytes of an Ed25519 public key."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public_key(public)).hexdigest()[:16]


def derive_key(secret: str) -> LedgerKey:
    """The signing key derived from the installation's ledger secret."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(
        secret.encode()
    )
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key()
    return LedgerKey(private, public, key_id_of(public))


async def installation_key(database: Database) -> LedgerKey:
    """The signing key of the installation behind `database`."""
    return derive_key(await installation_secret(database, SECRET_NAME))


def public_key_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), which openssl and others read."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key_pem(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; `ValueError` if it is no such key."""
    loaded = serialization.load_pem_public_key(text.encode())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded
