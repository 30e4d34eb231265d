"""The `optledger` command, run as operators run it."""
