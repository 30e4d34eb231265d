"""Signed tree heads: what a seal says, in bytes that are signed and chained.

A head is canonical JSON (`leaves.canonical_json`) of its fields; the Ed25519
signature is over exactly those bytes, and the head's hash (SHA-256 of them) is the
next head's `previous_head_hash`, so heads form one chain per company and a head
removed or replaced from the middle breaks it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from optledger.core.ledger.keys import LedgerKey
from optledger.core.ledger.leaves import canonical_json

HEAD_VERSION = 1


@dataclass(frozen=True)
class TreeHead:
    """One company's tree as a seal left it."""

    company: str
    tree_size: int
    root_hash: bytes
    previous_head_hash: bytes | None
    through_event_id: int
    sealed_at: str
    key_id: str

    def document(self) -> dict[str, Any]:
        """The head's fields as they are signed (hashes in hex)."""
        return {
            "v": HEAD_VERSION,
            "company": self.company,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "previous_head_hash": (
                None if self.previous_head_hash is None else self.previous_head_hash.hex()
            ),
            "through_event_id": self.through_event_id,
            "sealed_at": self.sealed_at,
            "key_id": self.key_id,
        }


@dataclass(frozen=True)
class SignedHead:
    """A head's signed bytes and their signature."""

    body: bytes
    signature: bytes

    @property
    def head_hash(self) -> bytes:
        """What the next head names as its previous one."""
        return hashlib.sha256(self.body).digest()

    def head(self) -> TreeHead:
        """The head these bytes say (`ValueError` if they are no head)."""
        return parse_head(self.body)

    def checkpoint(self) -> dict[str, Any]:
        """The head as published: its fields, the signature (base64) and the signed bytes."""
        return {
            **json.loads(self.body),
            "signature": base64.b64encode(self.signature).decode(),
            "signed": self.body.decode(),
        }

    def is_signed_by(self, public: Ed25519PublicKey) -> bool:
        """Whether the signature over the head's bytes is the key's."""
        try:
            public.verify(self.signature, self.body)
        except InvalidSignature:
            return False
        return True


def parse_head(body: bytes) -> TreeHead:
    """The head a head's bytes say (`ValueError` if they are no head)."""
    try:
        fields = json.loads(body)
        previous = fields["previous_head_hash"]
        return TreeHead(
            company=str(fields["company"]),
            tree_size=int(fields["tree_size"]),
            root_hash=bytes.fromhex(fields["root_hash"]),
            previous_head_hash=None if previous is None else bytes.fromhex(previous),
            through_event_id=int(fields["through_event_id"]),
            sealed_at=str(fields["sealed_at"]),
            key_id=str(fields["key_id"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a tree head: {exc}") from exc


def sign_head(head: TreeHead, key: LedgerKey) -> SignedHead:
    """The head's canonical bytes, signed."""
    body = canonical_json(head.document())
    return SignedHead(body, key.private.sign(body))
