"""The `optledger` command: every group and command, put together."""

from __future__ import annotations

import typer

from optledger.cli.attributes import attributes_app
from optledger.cli.audience import audience_app
from optledger.cli.audit import audit_app
from optledger.cli.companies import companies_app
from optledger.cli.credentials import credentials_app
from optledger.cli.export import export_ledger
from optledger.cli.import_list import import_list
from optledger.cli.ledger import ledger_app
from optledger.cli.lists import lists_app
from optledger.cli.messages import messages
from optledger.cli.operators import operator_app
from optledger.cli.server import bootstrap, migrate, serve, worker
from optledger.cli.templates import templates_app
from optledger.cli.twilio import twilio_app
from optledger.cli.units import units_app
from optledger.cli.webhooks import webhooks_app

app = typer.Typer(
    help="optledger: subscription and consent ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for command in (serve, migrate, bootstrap, worker, messages):
    app.command()(command)
app.command("import")(import_list)
app.command("export")(export_ledger)
for group, name in (
    (templates_app, "templates"),
    (twilio_app, "twilio"),
    (attributes_app, "attributes"),
    (audience_app, "audience"),
    (credentials_app, "credentials"),
    (webhooks_app, "webhooks"),
    (operator_app, "operator"),
    (companies_app, "companies"),
    (units_app, "units"),
    (lists_app, "lists"),
    (ledger_app, "ledger"),
    (audit_app, "audit"),
):
    app.add_typer(group, name=name)
