"""help exit-codes: reference topics printed by the program itself."""

from __future__ import annotations

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, examples
from colabctl.i18n import _

app = typer.Typer(no_args_is_help=True, help="Reference topics: exit codes.")


@command(
    app,
    "exit-codes",
    epilog=examples("colabctl help exit-codes", "colabctl help exit-codes --json"),
)
def exit_codes(as_json: JsonOpt = False) -> None:
    """What each exit code means (docs/exit-codes.md)."""
    from colabctl.core.exitcodes import meanings

    found = meanings()
    if as_json:
        output.emit_json([m.as_json() for m in found])
        return
    output.rows(
        _("Exit codes"),
        [("code", "right"), "name", ("meaning", "text")],
        ([int(m.code), m.name, _(m.text)] for m in found),
    )
