"""The root command: global options, and one sub-Typer per noun.

Typer builds a click command for every registered function on every run, and
importing each command module pulls in its part of core. `colabctl can` must
start near a bare `import typer`, so `main()` assembles only the module that
holds the command being run (all of them for --help or anything unknown), and of a
noun's group (`profile`, `collaborator`) only the subcommand being run (`edit`,
`list`): the whole group for its --help or an unknown word (`tree_for`).
`app`, the whole tree, is what tests and `python -m colabctl --help` see.

Shell completion runs the program with no command word (the shell passes the words in
environment variables), so it always gets the whole tree; only the whole tree carries
the completion options and the help panels (docs/config.md, docs/commands.md).
"""

from __future__ import annotations

import copy
import importlib
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from colabctl import __version__
from colabctl.errors import MEANINGS, ExitCode, head
from colabctl.i18n import N_, Text, _

if TYPE_CHECKING:
    from typer.models import CommandInfo

# command or noun -> (module in colabctl.cli, its Typer attribute, name to mount it at)
MOUNTS: dict[str, tuple[str, str, str | None]] = {
    "login": ("session", "app", None),
    "logout": ("session", "app", None),
    "whoami": ("session", "app", None),
    "use": ("session", "app", None),
    "account": ("accounts", "app", "account"),
    "permissions": ("profiles", "app", None),
    "preset": ("profiles", "preset_app", "preset"),
    "profile": ("profiles", "profile_app", "profile"),
    "invite": ("collaborators", "app", None),
    "accept": ("collaborators", "app", None),
    "decline": ("collaborators", "app", None),
    "collaborator": ("collaborators", "collaborator_app", "collaborator"),
    "invitation": ("collaborators", "invitation_app", "invitation"),
    "can": ("access", "app", None),
    "who-can": ("access", "app", None),
    "matrix": ("access", "app", None),
    "export": ("team", "app", None),
    "plan": ("team", "app", None),
    "apply": ("team", "app", None),
    "test": ("policy", "app", None),
    "audit": ("audit", "app", "audit"),
    "review": ("review", "app", "review"),
    "report": ("report", "app", None),
    "store": ("store", "app", "store"),
    "demo": ("demo", "app", None),
    "help": ("help", "app", "help"),
}

# The root help's panels, in this order, and the commands each holds (docs/commands.md).
# A command joins a panel by adding its name to that panel's line.
PANELS: dict[str, tuple[str, ...]] = {
    N_("Identity"): ("login", "logout", "whoami", "use"),
    N_("Accounts and profiles"): ("account", "permissions", "preset", "profile"),
    N_("Team"): ("invite", "accept", "decline", "collaborator", "invitation"),
    N_("Access questions"): ("can", "who-can", "matrix"),
    N_("Team as code"): ("export", "plan", "apply", "test"),
    N_("Audit and review"): ("audit", "review", "report"),
    N_("Store and more"): ("store", "demo", "help"),
}
PANEL_OF = {command: panel for panel, commands in PANELS.items() for command in commands}


class _Codes(Text):
    """Every exit code with the head of its meaning (errors.MEANINGS): `0 success, 1 no,
    ...`, English as a str, in the chosen language when shown (cli/localized.py), as
    `help exit-codes` shows the meanings."""

    def __new__(cls) -> _Codes:
        return cast(_Codes, super().__new__(cls, _codes(lambda meaning: meaning)))

    def translated(self) -> str:
        return _codes(_)


def _codes(say: Callable[[str], str]) -> str:
    return ", ".join(f"{int(code)} {head(say(meaning))}" for code, meaning in MEANINGS.items())


# The root --help's epilog, generated from MEANINGS when this module is imported.
EPILOG = Text(
    "Exit codes: %(codes)s; `colabctl help exit-codes` explains each.\n\n"
    "Every command's --help ends with examples to try on `colabctl demo`'s store.",
    codes=_Codes(),
)
_ROOT_OPTIONS_WITH_VALUE = ("--db", "--as", "--lang")


def _version(value: bool) -> None:
    if value:
        from colabctl.cli import output

        output.emit_line(f"colabctl {__version__}")
        raise typer.Exit(ExitCode.OK)


def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Store: a SQLite file, or a postgresql:// URL (default: $COLABCTL_DB,"
            " or a file in the user data folder).",
            show_default=False,
        ),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as EMAIL (default: $COLABCTL_USER, or the logged-in user).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    from colabctl.cli import common
    from colabctl.core.session import Context

    common.set_context(Context(db=db, actor=as_, clock=common.CLOCK))


def build(commands: Sequence[str] | None = None, subcommand: str | None = None) -> typer.Typer:
    """The root app with the given commands' modules mounted (None: all of them, in their
    panels, with shell completion: what --help, completion and unknown commands see).
    SUBCOMMAND: of a group among COMMANDS, mount only that command (`_narrowed`)."""
    from colabctl.cli.localized import Root

    tree = typer.Typer(
        name="colabctl",
        cls=Root,  # the language, and the tree in it (cli/localized.py)
        help="Team access for creator businesses: profiles, invitations, who can do what.",
        epilog=EPILOG,
        no_args_is_help=True,
        # Completion runs the program with no command word, so it gets the whole tree;
        # a command being run never pays for the two completion options.
        add_completion=commands is None,
        pretty_exceptions_enable=False,
    )
    tree.callback()(root)
    if commands is None:
        panelled = [c for c in PANEL_OF if c in MOUNTS]
        wanted = [*panelled, *(c for c in MOUNTS if c not in PANEL_OF)]
    else:
        wanted = list(commands)
    for command in wanted:
        module_name, attr, name = MOUNTS[command]
        sub: typer.Typer = getattr(importlib.import_module(f"colabctl.cli.{module_name}"), attr)
        panel = PANEL_OF.get(command) if commands is None else None
        if name is None:
            tree.add_typer(_only(sub, command, panel))  # leave its siblings unbuilt
        else:
            if subcommand is not None:
                sub = _narrowed(sub, subcommand)
            tree.add_typer(sub, name=name, rich_help_panel=panel)
    return tree


def _name(info: CommandInfo) -> str:
    return info.name or getattr(info.callback, "__name__", "").replace("_", "-")


def _only(sub: typer.Typer, command: str, panel: str | None = None) -> typer.Typer:
    alone = typer.Typer()
    for info in sub.registered_commands:
        if _name(info) == command:
            if panel is not None:
                info = copy.copy(info)
                info.rich_help_panel = panel
            alone.registered_commands.append(info)
    return alone


def _narrowed(group: typer.Typer, word: str) -> typer.Typer:
    """GROUP with only its command WORD (its help, settings and everything else kept), so
    that its siblings are never built; GROUP itself when WORD names none of its commands
    (its --help, a mistyped word: the whole group answers) or when the group takes
    options of its own (`review -a ACCOUNT ack`: the word after the noun may be an
    option's value, not the command)."""
    if group.registered_callback is not None:
        return group
    chosen = [info for info in group.registered_commands if _name(info) == word]
    if not chosen:
        return group
    narrowed = copy.copy(group)  # typer already loaded `copy`: free here
    narrowed.registered_commands = chosen
    narrowed.registered_groups = []
    return narrowed


def words_of(argv: Sequence[str]) -> list[str]:
    """The first two words of argv that are no option (the command, and its subcommand
    if it has one), skipping the root options and their values."""
    found: list[str] = []
    args = iter(argv)
    for arg in args:
        if len(found) == 2:
            break
        if arg in _ROOT_OPTIONS_WITH_VALUE:
            next(args, None)
        elif arg == "--":
            found.extend(itertools.islice(args, 2 - len(found)))
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def command_of(argv: Sequence[str]) -> str | None:
    """The command word in argv, skipping the root options; None if there is none."""
    words = words_of(argv)
    return words[0] if words else None


def tree_for(argv: Sequence[str]) -> typer.Typer:
    """The tree `colabctl ARGV` runs: only the command (and subcommand) it names, or the
    whole tree when it names none colabctl knows."""
    words = words_of(argv)
    if not words or words[0] not in MOUNTS:
        return build()
    return build(words[:1], words[1] if len(words) > 1 else None)


def main(argv: Sequence[str] | None = None) -> None:
    import signal
    import sys

    from colabctl.cli import output

    # Ctrl-C raises KeyboardInterrupt from here on (colabctl.__main__ answered it while
    # loading), ending in exit 130 with one error line (docs/exit-codes.md).
    output._interrupt_reported = False
    output.steady_streams()  # a closed pipe is always seen, even under PYTHONUNBUFFERED
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        args = list(sys.argv[1:] if argv is None else argv)
        tree_for(args)(args=args, prog_name="colabctl")
    except KeyboardInterrupt:
        _exit_interrupted()  # while building the command tree
    except SystemExit as done:
        if done.code == ExitCode.INTERRUPTED:
            _exit_interrupted()
        raise


def _exit_interrupted() -> None:
    """Exit 130 after Ctrl-C, with the one error line (typer answers an interrupt while
    parsing with a bare 130). os._exit, because CPython marks a KeyboardInterrupt raised
    inside exec() or eval() (dataclasses and namedtuple build code that way) as unhandled
    even once caught, and would end the process by SIGINT at exit; nothing committed, so
    there is nothing to finalise."""
    import os

    from colabctl.cli import output

    if not output._interrupt_reported:
        output.interrupted()
    output.flush()
    os._exit(ExitCode.INTERRUPTED)


app: typer.Typer  # the whole tree: built on first use, by __getattr__


def __getattr__(name: str) -> Any:
    if name == "app":
        global app
        app = build()
        return app
    raise AttributeError(name)
