"""`python -m optledger` runs the CLI."""

from optledger.cli import app

app()
