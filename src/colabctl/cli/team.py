"""export, plan, apply: team as code (docs/team-file.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, context, examples
from colabctl.core.team.file import read_bytes
from colabctl.errors import ExitCode

if TYPE_CHECKING:
    from colabctl.core.team import Change, Options, Plan

app = typer.Typer()

FileOpt = Annotated[
    str | None,
    typer.Option("--file", "-f", help="The team file (`-` reads stdin).", show_default=False),
]
PruneOpt = Annotated[
    bool,
    typer.Option("--prune", help="Also remove people and delete profiles the file leaves out."),
]
ReinviteOpt = Annotated[
    bool, typer.Option("--reinvite", help="Invite again people who declined or were removed.")
]
MaxRemovalsOpt = Annotated[
    int,
    typer.Option("--max-removals", help="Refuse (exit 5) to remove more people than this.", min=0),
]

_EXPORTED = "colabctl export -o t.toml && colabctl"  # a team file to plan or apply
EXPORT_EXAMPLES = examples(
    "colabctl export -a acme-cursos",
    "colabctl export --all -o team.toml",
)
PLAN_EXAMPLES = examples(
    f"{_EXPORTED} plan -f t.toml",
    f"{_EXPORTED} plan -f t.toml --detailed-exitcode",
    f"{_EXPORTED} plan -f t.toml --json",
    f"{_EXPORTED} plan -f t.toml -o plan.json",
)
APPLY_EXAMPLES = examples(
    f"{_EXPORTED} apply -f t.toml --yes",
    f"{_EXPORTED} apply -f t.toml --prune --yes",
)


def _options(prune: bool, reinvite: bool, consequences: bool = True) -> Options:
    from colabctl.core.team import Options

    return Options(prune=prune, reinvite=reinvite, consequences=consequences)


@command(app, epilog=EXPORT_EXAMPLES)
def export(
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account", "-a", help="An account you own (repeatable).", show_default=False
        ),
    ] = None,
    all_accounts: Annotated[bool, typer.Option("--all", help="Every account you own.")] = False,
    out: Annotated[str, typer.Option("--output", "-o", help="Write to FILE (`-`: stdout).")] = "-",
) -> None:
    """Write the team file of accounts you own: profiles by id, pending and active people."""
    from colabctl.core import team

    if account and all_accounts:
        raise typer.BadParameter("-a and --all are alternatives: give one")
    text = team.export(context(), account or [], all_accounts=all_accounts)
    output.write_output(out, text, store=context().store_file())
    if out != "-":
        output.say(f"wrote {out}")


@command(app, epilog=PLAN_EXAMPLES)
def plan(
    file: FileOpt = None,
    prune: PruneOpt = False,
    reinvite: ReinviteOpt = False,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 1 when there are changes, 0 when none."),
    ] = False,
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Save the plan (JSON) for `apply PLAN.json`."),
    ] = None,
) -> None:
    """Show what applying a team file would change, and who gains or loses what."""
    from colabctl.core import team

    if file is None:
        raise typer.BadParameter("give the team file with -f FILE (or -f - for stdin)")
    options = _options(prune, reinvite)
    found = team.plan(context(), read_bytes(file), "<stdin>" if file == "-" else file, options)
    if out is not None:
        import json

        document = team.save_plan(found, context(), options)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        output.write_output(out, text, store=context().store_file())
        if out != "-":
            output.say(f"saved the plan to {out}: `colabctl apply {out}` applies exactly it")
    if as_json:
        output.emit_json(found.as_json())
    elif out != "-":
        render(found)
    if detailed_exitcode and found.changes:
        raise typer.Exit(ExitCode.NO)


@command(app, epilog=APPLY_EXAMPLES)
def apply(
    saved: Annotated[
        str | None, typer.Argument(help="A plan saved by `plan -o`.", show_default=False)
    ] = None,
    file: FileOpt = None,
    prune: PruneOpt = False,
    reinvite: ReinviteOpt = False,
    max_removals: MaxRemovalsOpt = 10,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make the store match a team file (or a saved plan), all or nothing."""
    from colabctl.core import team

    if (saved is None) == (file is None):
        raise typer.BadParameter("give either -f TEAM.toml or a saved PLAN.json, not both")
    ctx = context()
    progress = _progress_factory()
    if saved is not None:
        plan_ = team.load_plan(read_bytes(saved), saved)
        if not yes:
            _confirm(plan_, from_stdin=saved == "-")
        done = team.apply_plan(ctx, plan_, max_removals=max_removals, progress=progress)
    else:
        assert file is not None
        raw = read_bytes(file)
        source = "<stdin>" if file == "-" else file
        head = None
        if not yes:
            found = team.plan(ctx, raw, source, _options(prune, reinvite))
            if not found.changes:
                _report(team.Applied(found, None), as_json)
                return
            team.brake(found, max_removals)
            _confirm(found, from_stdin=file == "-")
            head = found.head
        options = _options(prune, reinvite, consequences=as_json or not yes)
        done = team.apply_file(
            ctx,
            raw,
            source,
            options,
            max_removals=max_removals,
            expect_head=head,
            progress=progress,
        )
    _report(done, as_json)


def _interactive() -> bool:
    """A person at a terminal to ask (tests replace this)."""
    return sys.stdin.isatty()


def _confirm(found: Plan, *, from_stdin: bool) -> None:
    if from_stdin or not _interactive():
        why = "the team file is on stdin" if from_stdin else "there is no terminal to ask on"
        raise output.fail(
            f"apply needs confirmation, and {why}",
            hint="check the plan with `colabctl plan`, then pass --yes",
            code=ExitCode.INVALID,
        )
    render(found)
    if not typer.confirm(f"Apply {_summary(found)}?", err=True):
        output.say("nothing was changed")
        raise typer.Exit(ExitCode.OK)


def _report(done: object, as_json: bool) -> None:
    from colabctl.core.team import Applied

    assert isinstance(done, Applied)
    if as_json:
        output.emit_json({"apply_id": done.apply_id, **done.plan.as_json()})
        return
    if done.apply_id is None:
        output.say("no changes: the store already matches")
        return
    output.say(f"applied {_summary(done.plan)} (apply id {done.apply_id})")


def _progress_factory() -> Callable[[Plan], Callable[[int], None] | None]:
    """A rich progress bar on stderr for long applies (a terminal, > 200 changes)."""

    def start(found: Plan) -> Callable[[int], None] | None:
        if len(found.changes) <= 200 or not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import Progress

        bar = Progress(console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("applying", total=len(found.changes))
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, advance=n)
            if done >= len(found.changes):
                bar.stop()

        return advance

    return start


# -- the plan, as people read it -----------------------------------------------------------

_SIGN = {
    "create-account": "+",
    "rename-account": "~",
    "set-tax-id": "~",
    "create-profile": "+",
    "change-profile": "~",
    "invite": "+",
    "set-profile": "~",
    "set-access-until": "~",
    "renew": "~",
    "reinvite": "+",
    "remove": "-",
    "delete-profile": "-",
}
_STYLE = {"+": "green", "~": "yellow", "-": "red"}


def _summary(found: Plan) -> str:
    signs = [_SIGN[c.kind] for c in found.changes]
    return (
        f"{len(signs)} change{'' if len(signs) == 1 else 's'}: {signs.count('+')} to add,"
        f" {signs.count('~')} to change, {signs.count('-')} to remove"
    )


def _risky(ids: list[str]) -> str:
    from colabctl.core.catalog import catalog

    cat = catalog()
    return ", ".join(f"{i}!" if cat.by_id[i].risk == "high" else i for i in ids)


def _describe(change: Change) -> str:
    kind, before, after, target = change.kind, change.before, change.after, change.target
    if kind == "create-account":
        tax = after.get("tax_id")
        where = f", tax ID {tax['country']} {tax['number']}" if tax else ""
        return f"create account {target} ({after['name']}{where})"
    if kind == "rename-account":
        return f"rename account {target}: {before} -> {after}"
    if kind == "set-tax-id":
        was = f"{before['country']} {before['number']}" if before else "none"
        return f"set tax ID of {target}: {was} -> {after['country']} {after['number']}"
    if kind == "create-profile":
        return f"create profile {target}: {_risky(after['permissions'])}"
    if kind == "change-profile":
        parts = [f"+{_risky([i])}" for i in after["added"]]
        parts += [f"-{_risky([i])}" for i in after["removed"]]
        if after["description"] != before["description"]:
            parts.append("new description")
        return f"change profile {target}: " + ", ".join(parts)
    if kind == "invite":
        return f"invite {target} as {after['profile']}"
    if kind == "reinvite":
        return f"invite {target} again as {after['profile']} (was {before['status']})"
    if kind == "set-profile":
        return f"set profile of {target}: {before} -> {after}"
    if kind == "renew":
        return f"renew {target}'s expired invitation ({before['profile']})"
    if kind == "remove":
        return f"remove {target} ({before['status']}, {before['profile']})"
    if kind == "delete-profile":
        return f"delete profile {target}"
    return f"{kind} {target}: {before} -> {after}"


def _consequences(change: Change) -> list[str]:
    from colabctl.core.catalog import catalog

    cat = catalog()
    pending = set(change.pending)
    if change.kind == "change-profile":
        lines = []
        for sign, table, verb in (("+", change.gains, "gain"), ("-", change.losses, "lose")):
            count: dict[str, int] = {}
            for ids in table.values():
                for i in ids:
                    count[i] = count.get(i, 0) + 1
            for i, n in count.items():
                mark = "!" if cat.by_id[i].risk == "high" else ""
                lines.append(
                    f"profile {change.target}: {sign}{i}{mark} ({n} "
                    f"{'person' if n == 1 else 'people'} {verb}{'s' if n == 1 else ''} it)"
                )
        return lines
    lines = []
    for email, ids in change.gains.items():
        when = " on acceptance" if email in pending else ""
        lines.append(f"{email} gains{when}: {_risky(ids)}")
    for email, ids in change.losses.items():
        when = " (pending: on acceptance)" if email in pending else ""
        lines.append(f"{email} loses{when}: {_risky(ids)}")
    return lines


def render(found: Plan) -> None:
    """The plan as a diff: +, ~, - per change, consequences under each, colour on a TTY."""
    from rich.markup import escape

    con = output.console()
    if not found.changes:
        con.print("No changes: the store matches the file.", soft_wrap=True)
    account = None
    for change in found.changes:
        if change.account != account:
            account = change.account
            con.print(f"[bold]{escape(account)}[/bold]", soft_wrap=True)
        sign = _SIGN[change.kind]
        con.print(f"  [{_STYLE[sign]}]{sign} {escape(_describe(change))}[/]", soft_wrap=True)
        for line in _consequences(change):
            con.print(f"      {escape(line)}", soft_wrap=True)
    if found.notes:
        con.print("notes:", soft_wrap=True)
        for note in found.notes:
            con.print(f"  {escape(note)}", soft_wrap=True)
    for warning in found.warnings:
        output.warn(warning)
    if found.changes:
        con.print(f"Plan: {_summary(found)}. (! high risk)", soft_wrap=True)
