"""The tamper-evident ledger: events as Merkle leaves, signed tree heads, verification."""
