"""`optledger ledger`: seal the consent ledger, publish its checkpoints, verify it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from optledger.cli.support import CompanyOption, JsonOption, console, print_json, run_operation

if TYPE_CHECKING:
    from optledger.storage.database import Database

ledger_app = typer.Typer(
    help="The tamper-evident ledger: signed Merkle seals of every event (docs/ledger.md).",
    no_args_is_help=True,
)

OneCompanyOption = Annotated[
    str | None, typer.Option("--company", help="Only this company (its key); else every one.")
]


@ledger_app.command("seal")
def seal(company: OneCompanyOption = None) -> None:
    """Seal now: every event committed so far becomes a leaf under a signed head."""
    from optledger.core.use_cases import ledger

    done = run_operation(lambda database: ledger.seal_ledger(database, company))
    if done.busy:
        console.print("writers held the events table; nothing sealed, try again")
        raise typer.Exit(1)
    if not done.seals:
        console.print("nothing to seal")
    for sealed in done.seals:
        console.print(
            f"{sealed.company}: {sealed.new_leaves} events sealed, tree of {sealed.tree_size}, "
            f"root {sealed.root_hash}"
        )


@ledger_app.command("public-key")
def public_key() -> None:
    """Print the installation's ledger public key (PEM), which signs every seal."""
    from optledger.core.use_cases import ledger

    typer.echo(run_operation(ledger.ledger_public_key), nl=False)


@ledger_app.command("checkpoint")
def checkpoint(company: OneCompanyOption = None) -> None:
    """Print the latest signed tree head as JSON, to publish elsewhere (a ticket, an
    email to counsel, a timestamping service); every sealed company's as an array."""
    from optledger.core.use_cases import ledger

    heads = run_operation(lambda database: ledger.ledger_checkpoints(database, company))
    if company is None:
        print_json(heads)
    elif heads:
        print_json(heads[0])
    else:
        console.print(f"{company} has no seal yet: run `optledger ledger seal`")
        raise typer.Exit(1)


WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Worker processes a large company is verified in (default: one per CPU, "
        "at most 8; 1 verifies in this process).",
    ),
]


@ledger_app.command("verify")
def verify(
    company: OneCompanyOption = None, as_json: JsonOption = False, workers: WorkersOption = None
) -> None:
    """Check every seal's signature and chain, every leaf against its event, that every
    sealed event is in the tree and nothing else is, and that replaying the events gives
    every subscription record's state. Exit 1 with findings."""
    from optledger.core.ledger.parts import Splitting
    from optledger.core.use_cases import ledger

    splitting = Splitting() if workers is None else Splitting(workers=workers)
    tally = run_operation(lambda database: ledger.verify_ledger(database, company, splitting))
    if as_json:
        print_json(
            {
                "ok": tally.ok,
                "events": tally.events,
                "sealed": tally.sealed,
                "unsealed": tally.unsealed,
                "redacted": tally.redacted,
                "seals": tally.seals,
                "findings_total": tally.findings_total,
                "findings": [finding.document() for finding in tally.findings],
                "redactions": [redaction.document() for redaction in tally.redactions],
            }
        )
    else:
        console.print(
            f"{tally.events} events, {tally.sealed} sealed in {tally.seals} seals, "
            f"{tally.unsealed} not sealed yet, {tally.redacted} redacted"
        )
        for finding in tally.findings:
            if finding.event_id is not None:
                about = f"event {finding.event_id}"
            elif finding.record_id is not None:
                about = f"record {finding.record_id}"
            else:
                about = "ledger"
            console.print(f"[red]{finding.kind}[/red] {finding.company} {about}: {finding.detail}")
        if tally.findings_total > len(tally.findings):
            console.print(f"... {tally.findings_total - len(tally.findings)} more findings")
        console.print("ok" if tally.ok else f"[red]{tally.findings_total} findings[/red]")
    if not tally.ok:
        raise typer.Exit(1)


@ledger_app.command("proof")
def proof(
    company: CompanyOption,
    phone: Annotated[str | None, typer.Option(help="The phone number proven.")] = None,
    email: Annotated[str | None, typer.Option(help="The email address proven.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print the proof of consent of one phone or email: its records and their evidence,
    every event of them with an inclusion proof against one signed head (sealing first)."""
    from optledger.core.contact_points import ContactPoints
    from optledger.core.use_cases import ledger
    from optledger.core.use_cases.companies import find_company

    async def prove(database: Database) -> dict[str, Any]:
        contacts = ContactPoints.parse(phone, email)
        return await ledger.prove_consent(database, await find_company(database, company), contacts)

    document = run_operation(prove)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@ledger_app.command("verify-proof")
def verify_proof(
    file: Annotated[Path, typer.Argument(help="A proof of consent (JSON).", exists=True)],
    public_key: Annotated[
        Path, typer.Option(help="The installation's public key (PEM) you trust.", exists=True)
    ],
) -> None:
    """Check a proof of consent offline, with only a public key, and say what it proves.
    Exit 1 when it does not hold."""
    from optledger.core.ledger.keys import load_public_key_pem
    from optledger.core.ledger.proofs import check_proof

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        key = load_public_key_pem(public_key.read_text())
    except ValueError as exc:
        console.print(f"[red]cannot read: {exc}[/red]")
        raise typer.Exit(1) from None
    check = check_proof(document, key)
    for problem in check.problems:
        console.print(f"[red]{problem}[/red]", highlight=False)
    if not check.ok:
        console.print("[red]the proof does not hold[/red]")
        raise typer.Exit(1)
    for statement in check.statements:
        console.print(statement, highlight=False, markup=False)
    console.print("the proof holds", highlight=False)
