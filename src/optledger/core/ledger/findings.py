"""What verifying a ledger finds: findings, redactions, and their tally.

A tally adds up over companies, and over the parts a company is verified in (see
`core.ledger.parts`): each part's tally, made in another process, is absorbed into
the whole in the order of the parts, so the findings kept are the first ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A ledger rewritten wholesale would list every event: the first ones make the point.
MAX_FINDINGS = 1000


@dataclass(frozen=True)
class Finding:
    """Something the ledger does not explain, naming the event or record it is about."""

    kind: str
    company: str
    detail: str
    event_id: int | None = None
    record_id: int | None = None

    def document(self) -> dict[str, Any]:
        """The finding as `verify --json` prints it."""
        return {
            "kind": self.kind,
            "company": self.company,
            "event_id": self.event_id,
            "record_id": self.record_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Redaction:
    """An event whose content an erasure removed, its leaf kept: not a finding."""

    company: str
    event_id: int
    erasure_request: int

    def document(self) -> dict[str, Any]:
        """The redaction as `verify --json` prints it."""
        return {
            "company": self.company,
            "event_id": self.event_id,
            "erasure_request": self.erasure_request,
        }


@dataclass
class Tally:
    """What verification found, added up over companies."""

    events: int = 0
    sealed: int = 0
    unsealed: int = 0
    redacted: int = 0
    seals: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    redactions: list[Redaction] = field(default_factory=list)

    def add_redaction(self, redaction: Redaction) -> None:
        """Count a redaction, keeping the first `MAX_FINDINGS`."""
        self.redacted += 1
        if len(self.redactions) < MAX_FINDINGS:
            self.redactions.append(redaction)

    def add(self, finding: Finding) -> None:
        """Count a finding, keeping the first `MAX_FINDINGS`."""
        self.findings_total += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)

    def absorb(self, part: Tally) -> None:
        """Add up another tally, of what comes after this one's."""
        self.events += part.events
        self.sealed += part.sealed
        self.unsealed += part.unsealed
        self.redacted += part.redacted
        self.seals += part.seals
        self.findings_total += part.findings_total
        self.findings.extend(part.findings[: MAX_FINDINGS - len(self.findings)])
        self.redactions.extend(part.redactions[: MAX_FINDINGS - len(self.redactions)])

    @property
    def ok(self) -> bool:
        """Whether everything held."""
        return self.findings_total == 0
