"""Why a message is sent, apart from its texts, so that the command line can offer
the kinds without loading storage."""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """Why a message is sent."""

    CONFIRMATION_PROMPT = "CONFIRMATION_PROMPT"
    WELCOME = "WELCOME"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    OPT_OUT_CONFIRMATION = "OPT_OUT_CONFIRMATION"
    HELP = "HELP"
