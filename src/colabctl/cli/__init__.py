"""The root command: global options, and one sub-Typer per noun."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl import __version__
from colabctl.cli import access, accounts, audit, collaborators, demo, profiles, session
from colabctl.cli import common
from colabctl.core.session import Context

app = typer.Typer(
    name="colabctl",
    help="Team access for creator businesses: profiles, invitations, who can do what.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"colabctl {__version__}")
        raise typer.Exit()


@app.callback()
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
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    common.set_context(Context(db=db, actor=as_, clock=common.CLOCK))


app.add_typer(session.app)
app.add_typer(accounts.app, name="account")
app.add_typer(profiles.app)
app.add_typer(profiles.preset_app, name="preset")
app.add_typer(profiles.profile_app, name="profile")
app.add_typer(collaborators.app)
app.add_typer(collaborators.collaborator_app, name="collaborator")
app.add_typer(collaborators.invitation_app, name="invitation")
app.add_typer(access.app)
app.add_typer(audit.app, name="audit")
app.add_typer(demo.app)


def main() -> None:
    app()
