"""report: the access report of one or more accounts, as a page, Markdown or CSV."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import command, complete_accounts, context, examples, exclusive
from colabctl.errors import Invalid
from colabctl.i18n import _, language

app = typer.Typer()


class Format(StrEnum):
    html = "html"
    md = "md"
    csv = "csv"


# What -o's extension says when --format does not (docs/report.md).
_BY_EXTENSION = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv"}


def chosen_format(given: Format | None, out: str | None) -> str:
    """--format, else -o's extension, else HTML."""
    if given is not None:
        return given.value
    if out is not None and out != "-":
        return _BY_EXTENSION.get(os.path.splitext(out)[1].lower(), "html")
    return "html"


# long: a command's signature is its options (two thirds of its lines); the body is short
@command(
    app,
    epilog=examples(
        "colabctl report -o report.html",
        "colabctl report -a acme-cursos --format md",
        "colabctl report --all-accounts -o access.csv",
        "colabctl report --since 7d --lang es -o report.html",
        "colabctl --as carla.mendes@example.com report --all-accounts -o carla.md",
    ),
)
def report(
    ctx: typer.Context,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            "-a",
            help="An account you own or collaborate on (repeatable; default: as for matrix).",
            show_default=False,
            autocompletion=complete_accounts,
        ),
    ] = None,
    all_accounts: Annotated[
        bool,
        typer.Option("--all-accounts", help="Every account you own or collaborate on."),
    ] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="html, md or csv (default: from -o's extension, else html).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE, atomically (`-`: stdout; default: stdout, not a terminal"
            " for html).",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Changes since WHEN: a date, a date-time or a duration back (7d). Default: 30d.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Who can do what, as a page to share: the matrix, review findings,
    invitations, access ending soon, recent changes and the audit chain's head.

    The owner gets all of it; an active collaborator gets it without the
    review findings and the tax ID.
    """
    from colabctl.core.report import gather, render

    exclusive(ctx, ("--account", account), ("--all-accounts", all_accounts))
    kind = chosen_format(fmt, out)
    if kind == "html" and out is None and output.stdout_is_terminal():
        raise Invalid(
            _("an HTML report is a page to open in a browser, not to print on a terminal"),
            hint=_("colabctl report -o report.html (or --format md to read it here)"),
        )
    lang = language()
    found = gather.build(
        context(), accounts=account or [], all_accounts=all_accounts, since=since, lang=lang
    )
    output.write_output(out or "-", render.render(found, kind), store=context().store_file())
    if out not in (None, "-"):
        output.say(_("wrote %(file)s") % {"file": out})
