"""audit log, audit verify, audit head."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import AccountOpt, JsonOpt, command, complete_people, context, examples
from colabctl.core import audit
from colabctl.core.audit import Entry, Verdict
from colabctl.errors import ExitCode
from colabctl.i18n import _, shown

app = typer.Typer(no_args_is_help=True, help="The hash-chained record of every change.")


@command(
    app,
    "log",
    epilog=examples(
        "colabctl audit log",
        "colabctl audit log --action profile. --since 7d",
        "colabctl audit log --target bruno.costa@example.com --json",
        "colabctl audit log --actor ana.souza@example.com --limit 5",
    ),
)
def log(
    account: AccountOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="WHEN", help="From then on: a date, a date-time or 7d (back)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            help="Up to then, included (a date: through its end, UTC).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Only this person's.", autocompletion=complete_people),
    ] = None,
    action: Annotated[
        list[str] | None,
        typer.Option(
            "--action",
            metavar="ACTION",
            help="Only actions that start with this (profile., profile.edit); repeatable.",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Only rows about this: an email, a profile, a slug."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many rows.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The account's changes, newest first, each said in words.

    Different filters narrow together; several --action values widen.
    """
    found = audit.read_log(
        context(),
        account=account,
        since=since,
        until=until,
        actor=actor,
        actions=action or (),
        target=target,
        limit=limit,
    )
    if as_json:
        output.emit_json([row.as_json() for row in found])
        return
    output.rows(
        _("Audit log"),
        [("seq", "right"), "at", "actor", "action", ("change", "text")],
        (
            [row.entry.seq, row.entry.at, _who(row.entry), row.entry.action, row.change]
            for row in found
        ),
    )


def _who(entry: Entry) -> str:
    """The actor, and the database login that wrote the row where it is someone else's
    (on PostgreSQL, `--as` is a claim; the login is what the server checked:
    docs/postgres.md)."""
    who = entry.actor or _("(clock)")
    if entry.login_differs:
        return _("%(actor)s (login %(login)s)") % {"actor": who, "login": entry.db_login}
    return who


@command(
    app,
    "verify",
    epilog=examples("colabctl audit verify", "colabctl audit verify --json"),
)
def verify(
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            metavar="SEQ:HASH",
            help="A head kept elsewhere (`audit head`): prove it is still in the chain.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the log: exit 0 intact, 1 broken (naming what breaks it).

    The hash chain must be unbroken and end at the head the store records;
    then the log is replayed, and the state it describes (users, accounts,
    profiles and their permissions, memberships, transfers, bindings,
    acknowledgements) must be exactly what the tables hold.

    Only --anchor catches a rewrite of every row from some point on.
    """
    verdict = audit.verify_store(context(), anchor=anchor)
    if as_json:
        output.emit_json(audit.Verification(verdict).as_json())
    else:
        for line in _verdict_lines(verdict):
            output.emit_line(line)
    if not verdict.intact:
        raise typer.Exit(ExitCode.NO)


SHOWN_BREAKS = 20  # the text form's; --json lists every break


def _verdict_lines(verdict: Verdict) -> list[str]:
    lines = []
    if verdict.problem is not None:
        problem = shown(verdict.problem)
        if verdict.first_bad_seq is None:
            lines.append(_("broken: %(problem)s") % {"problem": problem})
        else:
            lines.append(
                _("broken at seq %(seq)s: %(problem)s")
                % {"seq": verdict.first_bad_seq, "problem": problem}
            )
    lines += [
        _("broken: %(problem)s") % {"problem": shown(found.message)}
        for found in verdict.breaks[:SHOWN_BREAKS]
    ]
    if len(verdict.breaks) > SHOWN_BREAKS:
        lines.append(_("... and %(count)d more") % {"count": len(verdict.breaks) - SHOWN_BREAKS})
    if verdict.intact:
        lines.append(_("intact: %(count)d rows verified") % {"count": verdict.rows})
    if verdict.state_skipped is not None:
        lines.append(_("state not checked (%(why)s)") % {"why": shown(verdict.state_skipped)})
    else:
        lines.append(_("state checked from seq %(seq)s") % {"seq": verdict.state_from})
    if verdict.head is not None:
        lines.append(_("head: %(head)s") % {"head": f"{verdict.head[0]}:{verdict.head[1]}"})
    if verdict.anchor is not None:
        kept = {"anchor": f"{verdict.anchor.seq}:{verdict.anchor.hash}"}
        if verdict.anchor.in_chain:
            lines.append(_("anchor %(anchor)s: in the chain") % kept)
        else:
            lines.append(_("anchor %(anchor)s: NOT in the chain") % kept)
    return lines


@command(app, "head", epilog=examples("colabctl audit head", "colabctl audit head --json"))
def head(as_json: JsonOpt = False) -> None:
    """The chain's head as SEQ:HASH, to keep elsewhere (git, CI logs).

    Check it later with `audit verify --anchor SEQ:HASH`. An empty store prints 0:
    and 64 zeros. Run `audit verify` first: this is the head the store records.
    """
    found = audit.read_head(context())
    if as_json:
        output.emit_json(found.as_json())
    else:
        output.emit_line(f"{found.seq}:{found.hash}")
