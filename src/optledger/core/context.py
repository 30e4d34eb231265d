"""Who and where a command comes from: the evidence every consent change keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """The origin of a command, stored as consent evidence and on events."""

    source: str
    credential_id: int | None = None
    client_ip: str | None = None
    user_agent: str | None = None

    def __post_init__(self) -> None:
        # Keep evidence within its columns rather than fail a consent change on it.
        if self.user_agent is not None and len(self.user_agent) > 400:
            object.__setattr__(self, "user_agent", self.user_agent[:400])
