"""The root command: global options, and one sub-Typer per noun.

Typer builds a click command for every registered function on every run, and
importing each command module pulls in its part of core. `colabctl can` must
start near a bare `import typer`, so `main()` assembles only the module that
holds the command being run (all of them for --help or anything unknown).
`app`, the whole tree, is what tests and `python -m colabctl --help` see.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from colabctl import __version__

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
    "demo": ("demo", "app", None),
}
_ROOT_OPTIONS_WITH_VALUE = ("--db", "--as")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"colabctl {__version__}")
        raise typer.Exit()


def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Store file (default: $COLABCTL_DB, or the user data folder).",
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


def build(commands: Sequence[str] | None = None) -> typer.Typer:
    """The root app with the given commands' modules mounted (None: all of them)."""
    tree = typer.Typer(
        name="colabctl",
        help="Team access for creator businesses: profiles, invitations, who can do what.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    tree.callback()(root)
    wanted = list(MOUNTS) if commands is None else commands
    mounted: set[tuple[str, str]] = set()
    for command in wanted:
        module_name, attr, name = MOUNTS[command]
        if (module_name, attr) in mounted:
            continue
        mounted.add((module_name, attr))
        sub: typer.Typer = getattr(importlib.import_module(f"colabctl.cli.{module_name}"), attr)
        if name is None and commands is not None:
            sub = _only(sub, command)  # a top-level command: leave its siblings unbuilt
        tree.add_typer(sub, name=name)
    return tree


def _only(sub: typer.Typer, command: str) -> typer.Typer:
    alone = typer.Typer()
    alone.registered_commands = [
        info
        for info in sub.registered_commands
        if (info.name or getattr(info.callback, "__name__", "").replace("_", "-")) == command
    ]
    return alone


def command_of(argv: Sequence[str]) -> str | None:
    """The command word in argv, skipping the root options; None if there is none."""
    args = iter(argv)
    for arg in args:
        if arg in _ROOT_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
        elif arg == "--":
            return next(args, None)
    return None


def main(argv: Sequence[str] | None = None) -> None:
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    command = command_of(args)
    build([command] if command in MOUNTS else None)(args=args, prog_name="colabctl")


app: typer.Typer  # the whole tree: built on first use, by __getattr__


def __getattr__(name: str) -> Any:
    if name == "app":
        global app
        app = build()
        return app
    raise AttributeError(name)
