"""audit log, audit verify."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import AccountOpt, JsonOpt, command, complete_people, context, examples
from colabctl.core import audit

app = typer.Typer(no_args_is_help=True, help="The hash-chained record of every change.")


@command(
    app,
    "log",
    epilog=examples(
        "colabctl audit log",
        "colabctl audit log --actor bruno.costa@example.com --limit 5",
        "colabctl audit log --since 2026-01-01 --json",
    ),
)
def log(
    account: AccountOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO date or time.")] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Only this person's.", autocompletion=complete_people),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many rows.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The account's changes, newest first."""
    found = audit.read_log(context(), account=account, since=since, actor=actor, limit=limit)
    if as_json:
        output.emit_json([e.as_json() for e in found])
        return
    output.rows(
        "Audit log",
        [("seq", "right"), "at", "actor", "action", "target"],
        ([e.seq, e.at, e.actor or "(clock)", e.action, e.target] for e in found),
    )


@command(
    app,
    "verify",
    epilog=examples("colabctl audit verify", "colabctl audit verify --json"),
)
def verify(as_json: JsonOpt = False) -> None:
    """Check the hash chain: exit 0 intact, 1 broken (naming the first bad row)."""
    verdict = audit.verify_store(context())
    if as_json:
        output.emit_json(
            {
                "intact": verdict.intact,
                "rows": verdict.rows,
                "first_bad_seq": verdict.first_bad_seq,
                "problem": verdict.problem,
            }
        )
    elif verdict.intact:
        output.emit_line(f"intact: {verdict.rows} rows verified")
    else:
        output.emit_line(f"broken at seq {verdict.first_bad_seq}: {verdict.problem}")
    if not verdict.intact:
        raise typer.Exit(1)
