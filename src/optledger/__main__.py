"""`python -m optledger` runs the CLI."""

from optledger.cli.main import app

app()
