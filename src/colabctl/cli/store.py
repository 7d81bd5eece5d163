"""store info, store copy: the store as a whole (docs/commands.md, "store info",
"store copy")."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, context, examples
from colabctl.i18n import _

app = typer.Typer(
    no_args_is_help=True,
    help="The store as a whole: where it is, what it holds, copying it.",
)

# -- what the store is, and copying it -----------------------------------------------------


@command(app, "info", epilog=examples("colabctl store info", "colabctl store info --json"))
def info(as_json: JsonOpt = False) -> None:
    """Where the store is and what it holds.

    The engine (sqlite or postgresql), its location (a URL's password hidden),
    the schema version, the rows of every table and the audit chain's head.
    Reads only: a missing store is not created (exit 3).
    """
    from colabctl.core import stores

    found = stores.info(context())
    if as_json:
        output.emit_json(found.as_json())
        return
    output.emit_line(_("engine: %(engine)s") % {"engine": found.engine})
    output.emit_line(_("location: %(location)s") % {"location": found.location})
    if found.db_login is not None:
        output.emit_line(_("database login: %(login)s") % {"login": found.db_login})
    output.emit_line(_("schema version: %(version)s") % {"version": found.schema_version})
    output.emit_line(_("audit head: %(head)s") % {"head": f"{found.head[0]}:{found.head[1]}"})
    output.rows(None, ["table", ("rows", "right")], found.counts.items())


SrcArg = Annotated[
    str,
    typer.Argument(metavar="SRC", help="The store to copy: a file, or a postgresql:// URL."),
]
DstArg = Annotated[
    str,
    typer.Argument(metavar="DST", help="Where to: a new file, or an empty database's URL."),
]


@command(
    app,
    "copy",
    epilog=examples(
        "colabctl demo && colabctl store copy colabctl-demo.db backup.db",
        "colabctl demo && colabctl store copy colabctl-demo.db b.db --json",
    ),
)
def copy(src: SrcArg, dst: DstArg, as_json: JsonOpt = False) -> None:
    """Copy the whole store SRC into DST, from any engine to any engine.

    DST must be empty (a new file, or an empty PostgreSQL database or schema):
    otherwise exit 4 and nothing is written. Every row keeps its id, every audit
    row its hash. DST is written in one transaction, and its chain and row
    counts are checked against SRC's before it commits: any difference rolls
    it all back (exit 7). A missing SRC: exit 3.

    Into PostgreSQL: colabctl store copy team.db postgresql://ana@db.example/team
    """
    from colabctl.core import stores

    with output.progress_bar(_("copying")) as progress:
        done = stores.copy(stores.target_of(src), stores.target_of(dst), progress=progress)
    if as_json:
        output.emit_json(done.as_json())
        return
    seq, digest = done.destination.head
    output.say(
        _("copied %(count)d rows (audit head %(head)s...) from %(source)s to %(destination)s")
        % {
            "count": done.rows,
            "head": f"{seq}:{digest[:12]}",
            "source": done.source.location,
            "destination": done.destination.location,
        }
    )


# -- database logins (store bind, store unbind) ---------------------------------------------


@command(
    app,
    "bind",
    epilog=examples(
        "colabctl store bind bruno bruno.costa@example.com  # exit 6: SQLite",
    ),
)
def bind(
    login: Annotated[str, typer.Argument(metavar="LOGIN", help="A database login (role).")],
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The colabctl user it is.")],
) -> None:
    """Tie a database login to one colabctl user (PostgreSQL only).

    The login then acts as that user and nobody else: with no --as it acts as
    them, and any other actor exits 5, for reads and writes. It is granted what
    the user's commands need, and the server itself lets it read and write only
    what that user may, whatever SQL it sends. Run by the login that owns
    colabctl's tables (5 otherwise); a login bound to someone else exits 4; on a
    SQLite store, 6 (docs/postgres.md, "What each login may do").
    """
    from colabctl.core import bindings

    if bindings.bind(context(), login, email):
        output.say(
            _("bound the database login %(login)s to %(email)s") % {"login": login, "email": email}
        )
    else:
        output.say(
            _("the database login %(login)s was already bound to %(email)s: nothing changed")
            % {"login": login, "email": email}
        )


@command(
    app,
    "unbind",
    epilog=examples(
        "colabctl store unbind bruno  # exit 6: a SQLite store has no logins",
    ),
)
def unbind(
    login: Annotated[str, typer.Argument(metavar="LOGIN", help="A bound database login.")],
) -> None:
    """Undo a login's binding (PostgreSQL only), taking back every privilege it
    held on the store: it may then do nothing there. Exit 3 if it was not bound."""
    from colabctl.core import bindings

    was = bindings.unbind(context(), login)
    output.say(
        _("unbound the database login %(login)s (it was bound to %(email)s)")
        % {"login": login, "email": was}
    )
