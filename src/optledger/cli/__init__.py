"""The optledger command: one module per command group."""

from optledger.cli.main import app

__all__ = ["app"]
