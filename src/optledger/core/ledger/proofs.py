"""Checking a proof of consent with nothing but a public key: no database, no network.

What holds when `check_proof` finds no problem: the head was signed by the key given;
every event's content hashes to a leaf that the head's tree holds at the index given;
and each record's evidence (contact point, unit, source, credential, address, user
agent, status, and the disclosure text through its digest) is what its sealed events
say. A record's unit and credential names are as the record states them: the sealed
events fix the ids. (Records created before their events carried the digest state
their disclosure text unsealed, and the proof says so.)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from optledger.core.ledger.disclosures import DIGEST_FIELD, disclosure_digest
from optledger.core.ledger.heads import SignedHead, TreeHead, parse_head
from optledger.core.ledger.keys import key_id_of
from optledger.core.ledger.merkle import leaf_hash, verify_inclusion

# The status each event leaves its record in; other events leave it as it was.
_STATUS_AFTER = {
    "subscription_confirmed": "ACTIVE",
    "subscription_declined": "DECLINED",
    "subscription_expired": "EXPIRED",
    "subscription_ended": "ENDED",
}
# The record's evidence, and where its creation event holds the same.
_EVIDENCE: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("channel", lambda leaf: leaf["channel"]),
    ("contact_value", lambda leaf: leaf["contact_value"]),
    ("type", lambda leaf: leaf["data"].get("type")),
    ("source", lambda leaf: leaf["data"].get("source")),
    ("unit", lambda leaf: leaf["data"].get("unit_id")),
    ("credential", lambda leaf: leaf["credential_id"]),
    ("client_ip", lambda leaf: leaf["client_ip"]),
    ("user_agent", lambda leaf: leaf["user_agent"]),
)


@dataclass
class ProofCheck:
    """What checking a proof found: its problems, and (when none) what it proves."""

    problems: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the proof holds."""
        return not self.problems


def check_proof(document: Any, public: Ed25519PublicKey) -> ProofCheck:
    """Check a proof of consent against a public key the checker trusts."""
    check = ProofCheck()
    try:
        head = _check_head(document, public, check)
        leaves = _check_events(document, head, check)
        _check_records(document, leaves, check)
        if check.ok:
            check.statements = _statements(document, leaves, head)
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        check.problems.append(f"not a proof of consent: {type(exc).__name__} {exc}")
    return check


def _check_head(document: Any, public: Ed25519PublicKey, check: ProofCheck) -> TreeHead:
    given = document["head"]
    signed = SignedHead(given["signed"].encode(), base64.b64decode(given["signature"]))
    head = parse_head(signed.body)
    if head.key_id != key_id_of(public):
        check.problems.append(f"the head names key {head.key_id}, not the key given")
    elif not signed.is_signed_by(public):
        check.problems.append("the head's signature is not the key's")
    if given["key_id"] != head.key_id:
        check.problems.append("the proof's key id is not the signed head's")
    if document["company"] != head.company:
        check.problems.append("the proof's company is not the signed head's")
    return head


def _check_events(document: Any, head: TreeHead, check: ProofCheck) -> dict[int, dict[str, Any]]:
    """Every event's leaf content, by event id, each checked against the head."""
    leaves: dict[int, dict[str, Any]] = {}
    for event in document["events"]:
        content = event["leaf"].encode()
        hashed = leaf_hash(content)
        name = f"event {event['event_id']}"
        if event["leaf_hash"] != hashed.hex():
            check.problems.append(f"{name}: its content does not hash to its leaf hash")
        path = [bytes.fromhex(node) for node in event["inclusion_proof"]]
        if not verify_inclusion(hashed, event["leaf_index"], head.tree_size, path, head.root_hash):
            check.problems.append(f"{name}: its leaf is not in the signed tree at its index")
        leaf = json.loads(content)
        stated = (event["event_id"], event["record_id"], event["type"])
        if (leaf["id"], leaf["record_id"], leaf["type"]) != stated:
            check.problems.append(f"{name}: its content is of another event or record")
        if leaf["contact_value"] != document["contact_point"]:
            check.problems.append(f"{name}: its content is about another contact point")
        leaves[leaf["id"]] = leaf
    return leaves


def _check_records(document: Any, leaves: dict[int, dict[str, Any]], check: ProofCheck) -> None:
    records = {record["id"] for record in document["records"]}
    for leaf in leaves.values():
        if leaf["record_id"] not in records:
            check.problems.append(f"event {leaf['id']}: its record is not in the proof")
    for record in document["records"]:
        name = f"record {record['id']}"
        own = [leaf for _, leaf in sorted(leaves.items()) if leaf["record_id"] == record["id"]]
        created = [leaf for leaf in own if leaf["type"] == "subscription_created"]
        if not created:
            check.problems.append(f"{name}: no sealed event created it")
            continue
        for evidence, sealed in _EVIDENCE:
            stated = record[evidence]
            if isinstance(stated, dict):
                stated = stated["id"]
            if stated != sealed(created[0]):
                check.problems.append(f"{name}: its {evidence} is not what its events say")
        if not _disclosure_matches(record, created[0]):
            check.problems.append(f"{name}: its disclosure text is not the one its events seal")
        status, activated, ended = _replay(own)
        if record["status"] != status:
            check.problems.append(f"{name}: its status is not what its events say")
        if (record["opt_in_date"] is not None) != activated:
            check.problems.append(f"{name}: its opt-in date is not what its events say")
        if (record["opt_out_date"] is not None) != ended:
            check.problems.append(f"{name}: its opt-out date is not what its events say")


def _disclosure_matches(record: dict[str, Any], created: dict[str, Any]) -> bool:
    """Whether the record's disclosure text is the one its creation event sealed (any
    text, for an event from before events sealed it)."""
    if DIGEST_FIELD not in created["data"]:
        return True
    shown = record["disclosure_as_shown"]
    return shown is not None and created["data"][DIGEST_FIELD] == disclosure_digest(shown)


def _replay(own: list[dict[str, Any]]) -> tuple[str | None, bool, bool]:
    """A record's status from its events, and whether it was ever active or ended."""
    status: str | None = None
    activated = ended = False
    for leaf in own:
        if leaf["type"] == "subscription_created":
            status = leaf["data"].get("status")
        else:
            status = _STATUS_AFTER.get(leaf["type"], status)
        activated = activated or status == "ACTIVE"
        ended = ended or status == "ENDED"
    return status, activated, ended


def _when(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")


def _statements(document: Any, leaves: dict[int, dict[str, Any]], head: TreeHead) -> list[str]:
    lines = []
    for record in document["records"]:
        unit = record["unit"] or {}
        said = []
        for _, leaf in sorted(leaves.items()):
            if leaf["record_id"] == record["id"]:
                said += _saying(leaf, unit, record)
        lines.append(
            f"{record['contact_value']} ({record['type']} {record['channel']}, list "
            f'"{record["list"]}", record {record["id"]}, now {record["status"]}): '
            + "; ".join(said)
        )
    lines.append(
        f"Sealed in {head.company}'s ledger under the head signed {_when(head.sealed_at)} "
        f"(tree of {head.tree_size} events, key {head.key_id}). Unit and credential names "
        "are as the records state them; the sealed events fix the unit's and credential's "
        "ids, the disclosure texts (by digest), the source, address, user agent and times."
    )
    return lines


def _saying(leaf: dict[str, Any], unit: dict[str, Any], record: dict[str, Any]) -> list[str]:
    when, data = _when(leaf["created_at"]), leaf["data"]
    kind = leaf["type"]
    if kind == "subscription_created":
        opened = "opted in" if data.get("status") == "ACTIVE" else "asked to opt in"
        sealed = "" if DIGEST_FIELD in data else " (this text unsealed)"
        return [
            f'{opened} on {when} through unit {data.get("unit_id")} "{unit.get("name")}", '
            f"shown '{record['disclosure_as_shown']}'{sealed} (source {data.get('source')}, "
            f"IP {leaf['client_ip']}, user agent {leaf['user_agent']})"
        ]
    if kind == "subscription_ended":
        return [f"opted out on {when} ({data.get('reason')}, source {data.get('source')})"]
    if kind in _STATUS_AFTER:
        return [f"{kind.removeprefix('subscription_')} on {when}"]
    return []
