"""Transports: one small interface, one module per provider."""

from optledger.delivery.transports.base import Outgoing, SendResult, Transport

__all__ = ["Outgoing", "SendResult", "Transport"]
