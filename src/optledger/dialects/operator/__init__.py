"""optledger's own operator API (not a compatibility dialect)."""
