"""export, plan, apply: team as code (docs/team-file.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, context, examples, exclusive
from colabctl.cli.review import Level, RulesOpt
from colabctl.errors import ExitCode
from colabctl.i18n import _, ngettext, pgettext

if TYPE_CHECKING:
    from colabctl.core.team import Applied, Options, Plan

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
    "colabctl export --all-accounts -o team.toml",
)
PLAN_EXAMPLES = examples(
    f"{_EXPORTED} plan -f t.toml",
    f"{_EXPORTED} plan -f t.toml --detailed-exitcode",
    f"{_EXPORTED} plan -f t.toml --fail-on high",
    f"{_EXPORTED} plan -f t.toml --json",
    f"{_EXPORTED} plan -f t.toml -o plan.json",
)
APPLY_EXAMPLES = examples(
    f"{_EXPORTED} apply -f t.toml --yes",
    f"{_EXPORTED} apply -f t.toml --prune --yes",
)

# More changes than this, and apply shows a progress bar on a terminal.
PROGRESS_AFTER = 200


def _options(
    prune: bool, reinvite: bool, consequences: bool = True, rules: Path | None = None
) -> Options:
    from colabctl.core.team import Options

    found = None
    if rules is not None:
        from colabctl.core.sod import load_rules

        found = tuple(load_rules(rules))
    return Options(prune=prune, reinvite=reinvite, consequences=consequences, rules=found)


def _source(file: str) -> str:
    return "<stdin>" if file == "-" else file


@command(app, epilog=EXPORT_EXAMPLES)
def export(
    usage: typer.Context,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account", "-a", help="An account you own (repeatable).", show_default=False
        ),
    ] = None,
    all_accounts: Annotated[
        bool, typer.Option("--all-accounts", help="Every account you own.")
    ] = False,
    all_alias: Annotated[bool, typer.Option("--all", hidden=True)] = False,
    out: Annotated[str, typer.Option("--output", "-o", help="Write to FILE (`-`: stdout).")] = "-",
) -> None:
    """Write the team file of accounts you own: profiles by id, pending and active people."""
    from colabctl.core import team

    exclusive(usage, ("--account", account), ("--all-accounts", all_accounts), ("--all", all_alias))
    every = all_accounts or all_alias
    text = team.export(context(), account or [], all_accounts=every)
    output.write_output(out, text, store=context().store_file())
    if out != "-":
        output.say(_("wrote %(file)s") % {"file": out})


@command(app, epilog=PLAN_EXAMPLES)
def plan(
    usage: typer.Context,
    file: FileOpt = None,
    prune: PruneOpt = False,
    reinvite: ReinviteOpt = False,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 1 when there are changes, 0 when none."),
    ] = False,
    fail_on: Annotated[
        Level | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when the plan would open a finding at or above this severity.",
            show_default=False,
        ),
    ] = None,
    rules: RulesOpt = None,
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Save the plan (JSON) for `apply PLAN.json`."),
    ] = None,
) -> None:
    """Show what a team file would change, who gains or loses what, and its findings.

    The findings are those `colabctl review` would report that applying the file opens
    (new) or closes (resolved); --fail-on makes new ones fail a pull request."""
    from colabctl.core import team
    from colabctl.core.team.file import read_bytes

    if file is None:
        raise typer.BadParameter(_("give the team file with -f FILE (or -f - for stdin)"))
    exclusive(usage, ("--fail-on", fail_on), ("--detailed-exitcode", detailed_exitcode))
    options = _options(prune, reinvite, rules=rules)
    found = team.plan(context(), read_bytes(file), _source(file), options)
    if out is not None:
        _save(found, options, out)
    if as_json:
        output.emit_json(found.as_json())
    elif out != "-":
        render(found)
    if detailed_exitcode and found.changes:
        raise typer.Exit(ExitCode.NO)
    if fail_on is not None:
        _gate(found, fail_on.value)


def _save(found: Plan, options: Options, out: str) -> None:
    from colabctl.core import team

    text = output.json_text(team.save_plan(found, context(), options).as_json()) + "\n"
    output.write_output(out, text, store=context().store_file())
    if out != "-":
        output.say(
            _("saved the plan to %(file)s: `colabctl apply %(file)s` applies exactly it")
            % {"file": out}
        )


def _gate(found: Plan, level: str) -> None:
    """`plan --fail-on LEVEL`: 1 when the plan opens a finding at or above LEVEL."""
    failing = found.findings.failing(level) if found.findings else []
    if failing:
        output.say(
            ngettext(
                "the plan would open %(count)d finding at %(level)s or above",
                "the plan would open %(count)d findings at %(level)s or above",
                len(failing),
            )
            % {"count": len(failing), "level": pgettext("level", level)}
        )
        raise typer.Exit(ExitCode.NO)


@command(app, epilog=APPLY_EXAMPLES)
def apply(
    usage: typer.Context,
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
    exclusive(usage, ("PLAN.json", saved), ("--file", file))
    if saved is None and file is None:
        raise typer.BadParameter(_("give either -f TEAM.toml or a saved PLAN.json"))
    with ExitStack() as stack:
        progress = _progress(stack)
        if saved is not None:
            done = _apply_saved(saved, max_removals, yes, as_json, progress)
        else:
            assert file is not None
            done = _apply_file(file, prune, reinvite, max_removals, yes, as_json, progress)
    if done is not None:
        _report(done, as_json)


_Progress = Callable[["Plan"], Callable[[int], None] | None]


def _apply_saved(
    saved: str, max_removals: int, yes: bool, as_json: bool, progress: _Progress
) -> Applied | None:
    from colabctl.core import team
    from colabctl.core.team.file import read_bytes

    ctx = context()
    source = _source(saved)
    plan_ = team.load_plan(read_bytes(saved), source)
    if not yes:
        _confirm(team.preview(ctx, plan_, source), from_stdin=saved == "-")
    return team.apply_plan(
        ctx,
        plan_,
        source,
        max_removals=max_removals,
        consequences=as_json,
        progress=progress,
    )


def _apply_file(
    file: str,
    prune: bool,
    reinvite: bool,
    max_removals: int,
    yes: bool,
    as_json: bool,
    progress: _Progress,
) -> Applied | None:
    from colabctl.core import team
    from colabctl.core.team.file import read_bytes

    ctx = context()
    raw, source = read_bytes(file), _source(file)
    head = None
    if not yes:
        found = team.plan(ctx, raw, source, _options(prune, reinvite))
        if not found.changes:
            _report(team.Applied(found, None), as_json)
            return None
        team.brake(found, max_removals)
        _confirm(found, from_stdin=file == "-")
        head = found.head
    options = _options(prune, reinvite, consequences=as_json or not yes)
    return team.apply_file(
        ctx,
        raw,
        source,
        options,
        max_removals=max_removals,
        expect_head=head,
        progress=progress,
    )


def _interactive() -> bool:
    """A person at a terminal to ask (tests replace this)."""
    return sys.stdin.isatty()


def _confirm(found: Plan, *, from_stdin: bool) -> None:
    from colabctl.cli.planview import summary

    if from_stdin or not _interactive():
        if from_stdin:
            message = _("apply needs confirmation, and the team file is on stdin")
        else:
            message = _("apply needs confirmation, and there is no terminal to ask on")
        raise output.fail(
            message,
            hint=_("check the plan with `colabctl plan`, then pass --yes"),
            code=ExitCode.INVALID,
        )
    render(found)
    if not output.confirm(_("Apply %(summary)s?") % {"summary": summary(found)}):
        output.say(_("nothing was changed"))
        raise typer.Exit(ExitCode.OK)


def _report(done: Applied, as_json: bool) -> None:
    from colabctl.cli.planview import summary

    if as_json:
        output.emit_json(done.as_json())
        return
    if done.apply_id is None:
        output.say(_("no changes: the store already matches"))
        return
    output.say(
        _("applied %(summary)s (apply id %(id)s)")
        % {"summary": summary(done.plan), "id": done.apply_id}
    )


def _progress(stack: ExitStack) -> _Progress:
    """The progress of a long apply (more than PROGRESS_AFTER changes), on the one
    progress bar (output.progress_bar: a terminal only), open until STACK closes."""

    def start(found: Plan) -> Callable[[int], None] | None:
        total = len(found.changes)
        if total <= PROGRESS_AFTER:
            return None
        bar = stack.enter_context(output.progress_bar(_("applying")))
        if bar is None:
            return None
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar("", done, total)

        return advance

    return start


def render(found: Plan) -> None:
    """The plan as people read it (cli/planview.py), its warnings on stderr."""
    from colabctl.cli.planview import View

    output.wrapped(View().lines(found))
    for warning in found.warnings:
        output.warn(warning)
