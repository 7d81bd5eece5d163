"""The one place that prints: JSON and messages here, rich tables built lazily,
and the one mapping from errors to `error:`/`hint:` lines and exit codes.

rich is imported only when a table is drawn, so `can` never pays for it.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from colabctl.core.access import Matrix

P = ParamSpec("P")
R = TypeVar("R")

YES, NO = "✓", "·"


# -- plain output ----------------------------------------------------------------


def emit_json(value: Any) -> None:
    """One JSON document on stdout, nothing else."""
    import json

    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def emit_line(text: str) -> None:
    sys.stdout.write(text + "\n")


def say(text: str) -> None:
    """A message for the person at the terminal: stderr, so stdout stays data."""
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


# -- tables ----------------------------------------------------------------------


@functools.cache
def console() -> Console:
    from rich.console import Console

    # rich itself keeps colour to TTYs and honours NO_COLOR.
    return Console(highlight=False, soft_wrap=False)


def table(title: str | None, columns: Sequence[str | tuple[str, str]], **options: Any) -> Table:
    """A rich table; a column given as (name, "right") is right-aligned."""
    from rich.table import Table

    result = Table(title=title, title_justify="left", **options)
    for column in columns:
        name, justify = column if isinstance(column, tuple) else (column, "left")
        result.add_column(name, justify=justify)  # type: ignore[arg-type]
    return result


def show(*renderables: Any) -> None:
    for renderable in renderables:
        console().print(renderable)


def rows(
    title: str | None,
    columns: Sequence[str | tuple[str, str]],
    data: Iterable[Sequence[Any]],
    *,
    empty: str = "(none)",
) -> None:
    """Print a simple table, or `empty` on stderr when there are no rows."""
    body = [[("" if cell is None else str(cell)) for cell in row] for row in data]
    if not body:
        say(f"{title}: {empty}" if title else empty)
        return
    result = table(title, columns)
    for row in body:
        result.add_row(*row)
    show(result)


def mark(value: bool) -> str:
    return YES if value else NO


# -- errors ----------------------------------------------------------------------


def fail(message: str, *, hint: str | None = None, code: int) -> typer.Exit:
    """Print the one `error:` line (and a `hint:`) and return the Exit to raise."""
    say(f"error: {_one_line(message)}")
    if hint:
        say(f"hint: {_one_line(hint)}")
    return typer.Exit(code)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _mapped(exc: BaseException) -> typer.Exit:
    """The one error mapping: domain errors, SQLite and OS errors, bad bytes; anything
    else is a bug in colabctl (exit 8), never "no" (docs/exit-codes.md)."""
    from colabctl.errors import ColabError, ExitCode

    if isinstance(exc, ColabError):
        return fail(exc.message, hint=exc.hint, code=exc.exit_code)
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        if "locked" in text or "busy" in text:
            return fail(
                f"the store is locked by another process ({text})",
                hint="try again; nothing was changed",
                code=ExitCode.STORE,
            )
        if "full" in text:
            return fail(f"the store is full ({text}); nothing was changed", code=ExitCode.STORE)
        if "readonly" in text or "read-only" in text:
            return fail(
                f"the store cannot be written ({text}); nothing was changed",
                hint="check the file's permissions",
                code=ExitCode.STORE,
            )
        return fail(f"store error: {text}; nothing was changed", code=ExitCode.STORE)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return fail(f"cannot use{where}: {exc.strerror or exc}", code=ExitCode.STORE)
    # Bytes that are not UTF-8: read from a file or stdin (a decode error), or taken from
    # argv, where Python keeps them as lone surrogates that fail once encoded for SQLite
    # ("surrogates not allowed"; other encode errors are about output, not input).
    if isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, UnicodeEncodeError) and exc.reason == "surrogates not allowed"
    ):
        return fail(
            f"the input is not UTF-8 text ({exc.reason})",
            hint="check the encoding of the arguments or the file given",
            code=ExitCode.INVALID,
        )
    return fail(
        f"internal error: {type(exc).__name__}: {exc}",
        hint="this is a bug in colabctl: rerun with COLABCTL_DEBUG=1 and report the traceback",
        code=ExitCode.INTERNAL,
    )


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command, turning every failure into `error:` + exit code (no traceback
    unless COLABCTL_DEBUG=1)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise  # a usage error is Typer's own (exit 2, its usage message)
        except KeyboardInterrupt:
            from colabctl.errors import ExitCode

            say("error: interrupted; nothing was changed")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("COLABCTL_DEBUG") == "1":
                raise
            raise _mapped(exc) from None

    return wrapper


# -- shared renderings -------------------------------------------------------------


def permission_table(
    title: str, perm_ids: Iterable[str], lang: str, *, show_risk: bool = True
) -> None:
    """Permissions grouped under their category's section row, in catalog order."""
    from colabctl.core.catalog import catalog

    wanted = set(perm_ids)
    if not wanted:
        say(f"{title}: (none)")
        return
    cat = catalog()
    result = table(title, ["permission", "id", "risk"] if show_risk else ["permission", "id"])
    for category in cat.categories:
        members = [p for p in cat.permissions if p.category == category.id and p.id in wanted]
        if not members:
            continue
        result.add_row(f"[bold]{category.label(lang)}[/bold]", end_section=False)
        for perm in members:
            cells = [f"  {perm.label(lang)}", perm.id]
            if show_risk:
                cells.append(perm.risk)
            result.add_row(*cells)
        result.add_section()
    show(result)


def matrix_table(grid: Matrix, lang: str, *, by_category: bool) -> None:
    """The who-can-do-what grid. Columns are people (owner first, then active
    collaborators); pending people hold nothing and are listed apart. When full
    emails do not fit the terminal, columns are numbered with a legend; when
    even that does not fit, it falls back to the per-category summary."""
    from colabctl.core.catalog import catalog

    cat = catalog()
    holders = [p for p in grid.people if p.owner or p.status == "active"]
    pending = [p for p in grid.people if p.status == "pending"]
    width = console().width
    label_width = max(len(p.label(lang)) for p in cat.permissions) + 4
    full = label_width + sum(len(p.user) + 3 for p in holders)
    numbered = label_width + 5 * len(holders)
    if not by_category and full > width and numbered > width:
        by_category = True
        say(f"note: {len(holders)} people do not fit {width} columns: counts per category")
    short = full > width
    headers = [str(i) if short else p.user for i, p in enumerate(holders, 1)]
    title = f"Who can do what in {grid.account}"
    if by_category:
        result = table(title, ["category", *[(h, "center") for h in headers]])
        for category in cat.categories:
            ids = [p.id for p in cat.permissions if p.category == category.id]
            result.add_row(
                category.label(lang),
                *[f"{len(set(ids) & set(grid.grants[p.user]))}/{len(ids)}" for p in holders],
            )
    else:
        result = table(title, ["permission", *[(h, "center") for h in headers]])
        for category in cat.categories:
            result.add_row(f"[bold]{category.label(lang)}[/bold]")
            for perm in cat.permissions:
                if perm.category == category.id:
                    result.add_row(
                        f"  {perm.label(lang)}",
                        *[mark(perm.id in grid.grants[p.user]) for p in holders],
                    )
            result.add_section()
    show(result)
    if short:
        for i, person in enumerate(holders, 1):
            emit_line(f"{i:>3} = {person.user} ({'owner' if person.owner else person.profile})")
    if not by_category:
        emit_line(f"{YES} holds it   {NO} does not")
    if pending:
        emit_line("pending (hold nothing until they accept):")
        for person in pending:
            emit_line(f"  {person.user} ({person.profile})")
