"""The one place that prints: JSON and messages here, rich tables built lazily,
and the one mapping from errors to `error:`/`hint:` lines and exit codes.

rich is imported only when a table is drawn, so `can` never pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
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


def write_output(target: str | os.PathLike[str], text: str, *, store: Path | None) -> None:
    """Write an `-o FILE` output (docs/exit-codes.md): `-` is stdout; a file goes through
    core/files.write_file: atomically, never over the store or any SQLite database (4),
    a failed write exits 6 naming the file."""
    from colabctl.core.files import write_file

    if os.fspath(target) == "-":
        emit_line(text.rstrip("\n"))
        return
    write_file(target, text.encode("utf-8"), store=store)


# -- tables ----------------------------------------------------------------------


# Wide enough for any row colabctl prints (names and titles stop at 200 characters), so
# a table on a pipe is never squeezed: it comes out at its natural width.
NATURAL_WIDTH = 100_000


def width() -> int | None:
    """The width tables are drawn to: an explicit COLUMNS; else the terminal's (None: rich
    asks it); else, when stdout is not a terminal, no limit (docs/config.md)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        on_terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        on_terminal = False
    return None if on_terminal else NATURAL_WIDTH


@functools.cache
def console() -> Console:
    """The console of this command (one per process: the width is decided once)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; handled() answers a closed pipe with 141
            raise BrokenPipeError(32, "Broken pipe")

    # rich itself keeps colour to TTYs and honours NO_COLOR.
    return _Console(highlight=False, soft_wrap=False, width=width())


def table(title: str | None, columns: Sequence[str | tuple[str, str]], **options: Any) -> Table:
    """A rich table; a column given as (name, "right") is right-aligned.

    Tables never hide data (docs/commands.md, "Output"): a cell too long for its column
    wraps, and a word longer than the column (an email, an action) folds onto the next
    line, where rich's default would cut it with an ellipsis."""
    from rich.table import Table

    result = Table(title=title, title_justify="left", **options)
    for column in columns:
        name, justify = column if isinstance(column, tuple) else (column, "left")
        result.add_column(header(name), justify=justify, overflow="fold")  # type: ignore[arg-type]
    return result


# Column headers in Spanish and Portuguese; English is the key itself. A header not
# listed here (an email heading a matrix column, a number) is shown as it is.
HEADERS: dict[str, dict[str, str]] = {
    "access until": {"es": "acceso hasta", "pt": "acesso até"},
    "account": {"es": "cuenta", "pt": "conta"},
    "action": {"es": "acción", "pt": "ação"},
    "active": {"es": "activos", "pt": "ativos"},
    "actor": {"es": "autor", "pt": "autor"},
    "at": {"es": "fecha", "pt": "data"},
    "category": {"es": "categoría", "pt": "categoria"},
    "current": {"es": "actual", "pt": "atual"},
    "description": {"es": "descripción", "pt": "descrição"},
    "ended": {"es": "terminó", "pt": "encerrado"},
    "expires": {"es": "vence", "pt": "expira"},
    "field": {"es": "campo", "pt": "campo"},
    "invited": {"es": "invitado", "pt": "convidado"},
    "invited by": {"es": "invitado por", "pt": "convidado por"},
    "legal entity": {"es": "persona jurídica", "pt": "pessoa jurídica"},
    "name": {"es": "nombre", "pt": "nome"},
    "owner": {"es": "propietario", "pt": "proprietário"},
    "pending": {"es": "pendientes", "pt": "pendentes"},
    "permission": {"es": "permiso", "pt": "permissão"},
    "permissions": {"es": "permisos", "pt": "permissões"},
    "profile": {"es": "perfil", "pt": "perfil"},
    "responded": {"es": "respondió", "pt": "respondeu"},
    "risk": {"es": "riesgo", "pt": "risco"},
    "role": {"es": "rol", "pt": "papel"},
    "status": {"es": "estado", "pt": "situação"},
    "target": {"es": "objeto", "pt": "alvo"},
    "title": {"es": "título", "pt": "título"},
    "user": {"es": "usuario", "pt": "usuário"},
    "value": {"es": "valor", "pt": "valor"},
}
_lang: str | None = None  # this command's language: --lang, else $COLABCTL_LANG, locale, en


def use_lang(lang: str | None) -> str:
    """Resolve the command's --lang once, for its labels and its table headers alike."""
    global _lang
    from colabctl.core.catalog import resolve_lang

    _lang = resolve_lang(lang)
    return _lang


def header(name: str) -> str:
    global _lang
    if _lang is None:
        from colabctl.errors import Invalid

        try:
            use_lang(None)
        except Invalid:  # a bad $COLABCTL_LANG fails commands about labels, not every table
            _lang = "en"
    return HEADERS.get(name, {}).get(_lang or "en", name)


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


# -- progress ----------------------------------------------------------------------


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr while the block runs, fed with (stage, done, total), when
    stderr is a terminal; on a pipe or a file, None: nothing is drawn (docs/commands.md).
    The bar is cleared when the block ends, so only the command's own lines remain."""
    if not _stderr_is_terminal():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        console=Console(stderr=True, highlight=False),
        transient=True,
    )
    task = bar.add_task(what, total=None, stage="")

    def advance(stage: str, done: int, total: int) -> None:
        bar.update(task, completed=done, total=total, stage=stage)

    with bar:
        yield advance


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
    """The one error mapping: domain errors (the store's engines have turned theirs into
    these: store/db.py, store/postgres.py), OS errors, bad bytes; anything else is a bug
    in colabctl (exit 8), never "no" (docs/exit-codes.md)."""
    from colabctl.errors import ColabError, ExitCode

    if isinstance(exc, ColabError):
        return fail(exc.message, hint=exc.hint, code=exc.exit_code)
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
        global _lang
        _lang = None  # each command resolves its own (use_lang)
        try:
            try:
                _refuse_undecodable(kwargs)
                return fn(*args, **kwargs)
            finally:
                # A reader that went away (`| head -1`) shows up here, not at exit.
                sys.stdout.flush()
        except (typer.Exit, typer.Abort, typer.TyperException):
            # TyperException: the base of typer's bundled click exceptions, usage errors
            # (exit 2) among them; typer's own handler prints those.
            raise
        except KeyboardInterrupt:
            raise interrupted() from None
        except BrokenPipeError:
            raise closed_pipe() from None
        except Exception as exc:
            if os.environ.get("COLABCTL_DEBUG") == "1":
                raise
            raise _mapped(exc) from None

    return wrapper


INTERRUPTED = "error: interrupted; nothing was changed"
_interrupt_reported = False  # read by cli.main(): typer turns some interrupts into a bare 130


def interrupted() -> typer.Exit:
    """Ctrl-C before anything committed (after a commit it is ignored: store/db.py)."""
    global _interrupt_reported
    from colabctl.errors import ExitCode

    _interrupt_reported = True
    say(INTERRUPTED)
    return typer.Exit(ExitCode.INTERRUPTED)


def closed_pipe() -> typer.Exit:
    """The reader of stdout went away: stop quietly with 141, as SIGPIPE would. stdout
    is pointed at /dev/null so that the flush at exit cannot fail a second time."""
    from colabctl.errors import ExitCode

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass
    return typer.Exit(ExitCode.BROKEN_PIPE)


def _refuse_undecodable(kwargs: dict[str, Any]) -> None:
    """Arguments whose bytes are not UTF-8 (Python keeps them as lone surrogates): say
    so, rather than let a later check call them control characters."""
    for name, value in kwargs.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str):  # a Path may be any bytes: file names need not be UTF-8
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    from colabctl.core.names import quoted
                    from colabctl.errors import Invalid

                    what = name.rstrip("_").replace("_", "-")
                    raise Invalid(
                        f"{quoted(item)} (given as {what}) is not UTF-8 text",
                        hint="check the encoding of the arguments (the terminal's or the"
                        " script's locale)",
                    ) from None


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
