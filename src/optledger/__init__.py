"""optledger: a subscription and consent ledger for SMS and email marketing."""

__version__ = "0.1.0"
