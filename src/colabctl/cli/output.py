"""The one place that prints: JSON, messages and tables, and the one mapping from
errors to `error:`/`hint:` lines and exit codes.

Tables are drawn by cli/boxes.py in rich's box, byte for byte as rich would draw them,
without importing rich's console (its cost was most of a table read's start-up); rich
itself draws only what that cannot match (see `_rich_draws`) and the progress bar, and
is imported only then, so neither `can` nor a table read pays for it.

Everything a person reads passes `visible()` on its way out: text people typed (names,
descriptions, reasons, emails as stored) can never move the cursor, set the title or
colour the terminal, on a terminal or in a pipe (docs/commands.md, "Output"). JSON keeps
values as stored, in JSON's own escapes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from colabctl.i18n import N_, NC_, _, pgettext, shown

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from colabctl.cli.layout import Column, ColumnSpec, Heading, Row
    from colabctl.core.access import Matrix

P = ParamSpec("P")
R = TypeVar("R")

YES, NO = "✓", "·"

# -- what reaches the terminal -----------------------------------------------------

# Characters that act on a terminal instead of showing: C0 and C1 controls (ESC, CSI,
# OSC, BEL, NUL, newlines), DEL, the line and paragraph separators, the bidi embeddings,
# overrides and isolates (Trojan Source), and lone surrogates (undecodable input).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Of those, what json.dumps(ensure_ascii=False) leaves raw (it escapes C0 itself).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    return repr(found.group())[1:-1]  # "\x1b", "\u202e", "\udcff"


def visible(text: str) -> str:
    """TEXT with every character that would act on the terminal shown as its escape."""
    if _INVISIBLE.search(text) is None:
        return text
    return _INVISIBLE.sub(_escape, text)


def _json_escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


# What the JSON printers take: an as_json() (a shape of core/shapes.py, docs/json.md), or a
# list of them. tests/cli/test_json.py holds the cli to that.
Document = Mapping[str, object] | Sequence[Mapping[str, object]]


def json_text(value: Document, *, indent: int | None = 2) -> str:
    """VALUE as JSON text: the values as stored, whatever could act on a terminal in
    JSON's \\u escapes (json.dumps leaves C1 controls and bidi overrides raw)."""
    import json

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if _RAW_IN_JSON.search(text) is None:
        return text
    return _RAW_IN_JSON.sub(_json_escape, text)


# -- plain output ----------------------------------------------------------------


def emit_json(value: Document) -> None:
    """One JSON document on stdout, nothing else."""
    sys.stdout.write(json_text(value) + "\n")


def json_lines() -> Callable[[Mapping[str, object]], None]:
    """A writer of one JSON document per line on stdout (`can --batch`), escaped as
    json_text escapes: one encoder for every line (json.dumps with an option builds a new
    one per call)."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    search = _RAW_IN_JSON.search
    write = sys.stdout.write

    def emit(value: Mapping[str, object]) -> None:
        text = encode(value)
        if search(text) is not None:
            text = _RAW_IN_JSON.sub(_json_escape, text)
        write(text + "\n")

    return emit


def emit_line(text: str) -> None:
    sys.stdout.write(visible(shown(text)) + "\n")


def paragraph(text: str) -> None:
    """A line of free text on stdout, wrapped between words to the width tables are drawn
    to (piped without COLUMNS: one line, as tables keep their natural width)."""
    from colabctl.cli import layout

    for line in layout.wrap(visible(shown(text)), console().width):
        emit_line(line)


def emit_data(text: str) -> None:
    """A file's content on stdout (`-o -`): a format of its own (TOML, JSON, XML), which
    escapes what it must, so it is written as it is."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def say(text: str) -> None:
    """A message for the person at the terminal: stderr, so stdout stays data (a Text is
    shown translated)."""
    sys.stderr.write(visible(shown(text)) + "\n")


def flush() -> None:
    """Everything written so far, out now (before an os._exit), whatever became of the
    streams."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (False when it was replaced or closed)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def warn(text: str) -> None:
    say(f"warning: {shown(text)}")


def wrapped(lines: Iterable[tuple[int, str, str | None]]) -> None:
    """Lines of text on stdout, each (indent, text, style), wrapped at word boundaries to
    the width tables are drawn to (so piped without COLUMNS, never): a word (an email, a
    permission id) is never split, and a wrapped line goes on two spaces further in.
    Control characters in the text are shown escaped. Styles only where colour is on."""
    import textwrap

    screen = console()
    limit = screen.width
    # styles through rich (colours, NO_COLOR), only where it would style at all
    con = rich_console() if screen.styled else None
    for indent, raw, style in lines:
        text = visible(shown(raw))
        pad = " " * indent
        if indent + len(text) <= limit:
            parts = [pad + text]
        else:
            parts = textwrap.wrap(
                text,
                width=max(limit, indent + 20),
                initial_indent=pad,
                subsequent_indent=pad + "  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        for part in parts:
            if con is None:
                sys.stdout.write(part + "\n")
            else:
                con.print(part, style=style, markup=False, soft_wrap=True)


def write_output(target: str | os.PathLike[str], text: str, *, store: Path | None) -> None:
    """Write an `-o FILE` output (docs/exit-codes.md): `-` is stdout; a file goes through
    core/files.write_file: atomically, its missing folders created, never over the store
    or any SQLite database (4); a failed write exits 6 naming the file. It takes its place
    only when the command ends with an answer (`handled`): a failure leaves nothing."""
    from colabctl.core.files import write_file

    if os.fspath(target) == "-":
        emit_data(text)
        return
    write_file(target, text.encode("utf-8"), store=store, staged=True)


def steady_streams() -> None:
    """Give stdout and stderr a buffer when they have none (PYTHONUNBUFFERED, `python -u`).

    An unbuffered text stream writes straight to the file descriptor and ignores a short
    write: when the reader of a pipe goes away in the middle of a large write, the rest is
    dropped without an error, and the command would exit 0 instead of 141. A buffered
    writer finishes every write or raises BrokenPipeError. Line buffering keeps the
    unbuffered promptness. (A FileIO of our own over the same descriptor, closefd=False,
    so that neither stream can close the other's.)"""
    import io

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(getattr(stream, "buffer", None), io.RawIOBase):
            continue
        try:
            raw = io.FileIO(stream.fileno(), "w", closefd=False)
        except (OSError, ValueError, AttributeError):
            continue
        setattr(
            sys,
            name,
            io.TextIOWrapper(
                io.BufferedWriter(raw),
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=True,
            ),
        )


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
    return None if is_terminal(sys.stdout) else NATURAL_WIDTH


def is_terminal(stream: Any) -> bool:
    """Whether STREAM (sys.stdout, sys.stderr) is a terminal; a replaced or closed one is not."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed
        return False


class Screen:
    """What this command's tables are drawn to: WIDTH in columns, and whether STYLED text
    (a bold header) reaches a terminal. Both are decided as rich's Console decided them
    when it drew every table, so a table looks as it always did. (A plain class: `can`
    imports this module, and a NamedTuple costs its start-up a tenth of a millisecond.)"""

    __slots__ = ("styled", "width")

    def __init__(self, width: int, styled: bool) -> None:
        self.width = width
        self.styled = styled


@functools.cache
def console() -> Screen:
    """The screen of this command (one per process: the width is decided once)."""
    if _rich_decides():
        con = rich_console()
        return Screen(con.width, con.color_system is not None)
    terminal = _rich_terminal()
    dumb = terminal and os.environ.get("TERM", "").lower() in ("dumb", "unknown")
    # rich keeps styles to terminals (FORCE_COLOR and TTY_COMPATIBLE aside), none for a
    # dumb one; NO_COLOR takes colours away, never bold.
    return Screen(_rich_width(width(), dumb=dumb), terminal and not dumb)


def _rich_decides() -> bool:
    """Where rich's Console sees what this module does not read for itself: Windows (its
    legacy console, its own box characters), IPython (rich draws for Jupyter)."""
    import builtins

    return sys.platform == "win32" or hasattr(builtins, "get_ipython")


def _rich_terminal() -> bool:
    """Whether rich's Console takes stdout for a terminal (rich/console.py, is_terminal):
    TTY_COMPATIBLE=0/1 and FORCE_COLOR (set: non-empty) say so; else isatty, except
    under IDLE."""
    if getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return False
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    return is_terminal(getattr(sys.stdout, "rich_proxied_file", sys.stdout))


def _rich_width(asked: int | None, *, dumb: bool) -> int:
    """The width rich's Console(width=ASKED) draws to (rich/console.py, size): a dumb
    terminal has 80 columns unless LINES is set too; else ASKED, a COLUMNS of digits (0
    included), the first standard stream's terminal size, or 80."""
    columns, lines = os.environ.get("COLUMNS"), os.environ.get("LINES")
    if asked is None and columns is not None and columns.isdigit():
        asked = int(columns)
    if asked is not None and lines is not None and lines.isdigit():
        return asked
    if dumb:
        return 80
    if asked is not None:
        return asked
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
    return 80


def rich_console() -> Console:
    """rich's console over stdout, for what rich still draws (styled plan lines, the
    tables `_rich_draws` names): as every table was drawn before cli/boxes.py."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; handled() answers a closed pipe with 141
            raise BrokenPipeError(32, "Broken pipe")

        def render_str(self, text: str, **options: Any) -> Any:
            # every string printed (a plan's lines, a title) shows control characters
            # escaped, before rich reads its markup
            return super().render_str(visible(text), **options)

    # rich itself keeps colour to TTYs and honours NO_COLOR.
    return _Console(highlight=False, soft_wrap=False, width=width())


# Every column header, marked for translation (the "column" context: a header "active",
# how many, is not the status "active"). A header not listed here (an email heading a
# matrix column, a number) is shown as it is.
HEADERS = (
    NC_("column", "access"),
    NC_("column", "access until"),
    NC_("column", "account"),
    NC_("column", "action"),
    NC_("column", "active"),
    NC_("column", "actor"),
    NC_("column", "at"),
    NC_("column", "category"),
    NC_("column", "change"),
    NC_("column", "code"),
    NC_("column", "current"),
    NC_("column", "description"),
    NC_("column", "ended"),
    NC_("column", "expires"),
    NC_("column", "field"),
    NC_("column", "finding"),
    NC_("column", "id"),
    NC_("column", "invited"),
    NC_("column", "invited by"),
    NC_("column", "kind"),
    NC_("column", "legal entity"),
    NC_("column", "meaning"),
    NC_("column", "message"),
    NC_("column", "name"),
    NC_("column", "owner"),
    NC_("column", "pending"),
    NC_("column", "permission"),
    NC_("column", "permissions"),
    NC_("column", "profile"),
    NC_("column", "responded"),
    NC_("column", "risk"),
    NC_("column", "role"),
    NC_("column", "rows"),
    NC_("column", "seq"),
    NC_("column", "severity"),
    NC_("column", "status"),
    NC_("column", "subject"),
    NC_("column", "table"),
    NC_("column", "target"),
    NC_("column", "tax ID"),
    NC_("column", "title"),
    NC_("column", "user"),
    NC_("column", "value"),
)


def header(name: str) -> str:
    return pgettext("column", name)


def rows(
    title: str | None,
    columns: Sequence[ColumnSpec],
    data: Iterable[Sequence[Any] | Heading],
    *,
    empty: str | None = None,
) -> None:
    """Print a table, or `empty` on stderr when there are no rows.

    Each column is an id, never split, or free text (`(name, "text")`), which wraps at
    word boundaries (cli/layout.py). When the ids alone cannot fit the width, the table
    is printed stacked, one block of `key: value` lines per row. Tables never hide data
    (docs/commands.md, "Output"): no cell is ever cut."""
    from colabctl.cli import layout
    from colabctl.cli.layout import Heading

    body: list[Row] = [
        Heading(shown(row.text)) if isinstance(row, Heading) else [_cell(cell) for cell in row]
        for row in data
    ]
    if not any(not isinstance(row, Heading) for row in body):
        _none(title, empty)
        return
    draw(title, [layout.column(c) for c in columns], body)


def _none(title: str | None, empty: str | None) -> None:
    """No rows: `TITLE: (none)`, or EMPTY (a sentence of its own) on stderr."""
    if empty is not None:
        say(empty)
    elif title:
        say(_("%(title)s: (none)") % {"title": shown(title)})
    else:
        say(_("(none)"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return visible(shown(value) if isinstance(value, str) else str(value))


def draw(title: str | None, columns: Sequence[Column], body: Sequence[Row]) -> None:
    """The table in the console's width, or stacked when no layout fits it."""
    from colabctl.cli import layout

    screen = console()
    headers = [header(c.name) for c in columns]
    fitted = layout.widths(columns, headers, body, screen.width)
    shown_title = title and visible(shown(title))
    if fitted is None:
        for line in layout.stacked(shown_title, columns, headers, body, screen.width):
            emit_line(line)
        return
    if _rich_draws(headers, body, fitted):
        rich_console().print(_table(title, columns, headers, body, fitted))
        return
    from colabctl.cli import boxes

    justify = [c.justify for c in columns]
    text = boxes.drawn(
        shown_title, justify, headers, body, fitted, width=screen.width, styled=screen.styled
    )
    sys.stdout.write(text)
    sys.stdout.flush()  # as rich's print did: the table is out before what follows


# What rich reads in a header, a section's label or a cell itself: it drops some C0
# controls and breaks lines at others. Cells and titles arrive escaped (`visible`); a
# header or a label may not (catalog texts, an email heading a matrix column). Compiled
# on first use (re's cache), not when `can` imports this module.
_RICH_CONTROLS = "[\x00-\x1f]"


def _rich_draws(headers: Sequence[str], body: Sequence[Row], fitted: Sequence[int]) -> bool:
    """Whether rich must draw this table, because cli/boxes.py would not match it: rich
    decides the screen (`_rich_decides`); a stdout that is not UTF-8 (rich draws an ASCII
    box); a rich progress bar holding stdout; a column of no width; control characters."""
    from colabctl.cli.layout import Heading

    out = sys.stdout
    encoding = getattr(out, "encoding", None) or "utf-8"
    if (
        _rich_decides()
        or out is None  # rich writes nowhere
        or not encoding.lower().startswith("utf")
        or hasattr(out, "rich_proxied_file")
        or min(fitted) < 1
    ):
        return True
    cells = (row if not isinstance(row, Heading) else [row.text] for row in body)
    controls = re.compile(_RICH_CONTROLS)
    return any(controls.search(text) for text in [*headers, *chain(*cells)])


def _table(
    title: str | None,
    columns: Sequence[Column],
    headers: Sequence[str],
    body: Sequence[Row],
    fitted: Sequence[int],
) -> Table:
    from rich.table import Table
    from rich.text import Text

    from colabctl.cli.layout import Heading

    result = Table(title=title and Text(visible(shown(title))), title_justify="left")
    for col, name, size in zip(columns, headers, fitted, strict=True):
        # fixed widths, which layout.widths chose: no id is wider than its column, and no
        # word of free text, so nothing is ever split (fold: never cut, whatever happens)
        result.add_column(Text(name), justify=col.justify, width=size, overflow="fold")
    started = False
    for row in body:
        if isinstance(row, Heading):
            if started:
                result.add_section()
            result.add_row(Text(row.text, style="bold"))
        else:
            result.add_row(*(Text(cell) for cell in row))
        started = True
    return result


# The words tables show for enum values (JSON keeps the values themselves) are
# core/words.py's, imported when a table shows one: `can` never loads them.


def status(value: str) -> str:
    from colabctl.core.words import status

    return status(value)


def role(value: str | None) -> str:
    from colabctl.core.words import role

    return role(value)


def level(value: str) -> str:
    from colabctl.core.words import level

    return level(value)


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def mark(value: bool) -> str:
    return YES if value else NO


# -- asking -------------------------------------------------------------------------

# What counts as "yes" to a question: English's everywhere, and each language's own.
_YES = N_("y, yes")


def confirm(question: str) -> bool:
    """Ask QUESTION on stderr and read the answer from stdin: yes only when it says so
    (in English or in the chosen language); no answer at all (end of input) aborts."""
    sys.stderr.write(visible(question) + " " + _("[y/N]") + ": ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
        raise typer.Abort()
    yes = {word.strip() for word in f"y, yes, {_(_YES)}".split(",")}
    return answer.strip().lower() in yes


# -- progress ----------------------------------------------------------------------


def _stderr_is_terminal() -> bool:
    return is_terminal(sys.stderr)


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr while the block runs (WHAT: its description, translated by
    the caller; the stage is an id, a table's name), fed with (stage, done, total), when
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
    """Print the one `error:` line (and a `hint:`) and return the Exit to raise. The
    prefixes stay English in every language; a Text is shown translated."""
    say(f"error: {_one_line(shown(message))}")
    if hint:
        say(f"hint: {_one_line(shown(hint))}")
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
        reason = exc.strerror or str(exc)
        if exc.filename:
            message = _("cannot use %(file)s: %(reason)s") % {
                "file": exc.filename,
                "reason": reason,
            }
        else:
            message = _("cannot use the store: %(reason)s") % {"reason": reason}
        return fail(message, code=ExitCode.STORE)
    # Bytes that are not UTF-8: read from a file or stdin (a decode error), or taken from
    # argv, where Python keeps them as lone surrogates that fail once encoded for SQLite
    # ("surrogates not allowed"; other encode errors are about output, not input).
    if isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, UnicodeEncodeError) and exc.reason == "surrogates not allowed"
    ):
        return fail(
            _("the input is not UTF-8 text (%(reason)s)") % {"reason": exc.reason},
            hint=_("check the encoding of the arguments or the file given"),
            code=ExitCode.INVALID,
        )
    return fail(
        _("internal error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"},
        hint=_("this is a bug in colabctl: rerun with COLABCTL_DEBUG=1 and report the traceback"),
        code=ExitCode.INTERNAL,
    )


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command, turning every failure into `error:` + exit code (no traceback
    unless COLABCTL_DEBUG=1). The files it wrote with `write_output` take their place
    when it ends with an answer (0, 1, or 141 after the work); any other end leaves none
    of them, nor the folders made for them (docs/exit-codes.md)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = _guarded(fn, *args, **kwargs)
        except typer.Exit as done:
            _settle(keep=done.exit_code in _ANSWERS)
            raise
        except BaseException:  # usage errors (2), typer.Abort
            _settle(keep=False)
            raise
        _settle(keep=True)
        return result

    return wrapper


# Exits after which a command's output files stand: success, "no", and a reader that
# went away once the work was done.
_ANSWERS = (0, 1, 141)


def _guarded(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
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


def _settle(*, keep: bool) -> None:
    """Put the command's staged output files in place, or remove them (core/files.py)."""
    files = sys.modules.get("colabctl.core.files")  # not loaded: nothing was written
    if files is None:
        return
    from colabctl.errors import ColabError

    try:
        files.settle(keep=keep)
    except ColabError as exc:
        raise _mapped(exc) from None


INTERRUPTED = N_("interrupted; nothing was changed")
_interrupt_reported = False  # read by cli.main(): typer turns some interrupts into a bare 130


def interrupted() -> typer.Exit:
    """Ctrl-C before anything committed (after a commit it is ignored: store/db.py)."""
    global _interrupt_reported
    from colabctl.errors import ExitCode

    _interrupt_reported = True
    say(f"error: {_(INTERRUPTED)}")
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
                        _("%(value)s (given as %(name)s) is not UTF-8 text")
                        % {"value": quoted(item), "name": what},
                        hint=_(
                            "check the encoding of the arguments (the terminal's or the"
                            " script's locale)"
                        ),
                    ) from None


# -- shared renderings -------------------------------------------------------------


def permission_table(
    title: str, perm_ids: Iterable[str], lang: str, *, show_risk: bool = True
) -> None:
    """Permissions grouped under their category's section row, in catalog order."""
    from colabctl.cli.layout import Column, Heading
    from colabctl.core.catalog import catalog

    wanted = set(perm_ids)
    if not wanted:
        _none(title, None)
        return
    cat = catalog()
    columns = [Column("permission", text=True), Column("id")]
    if show_risk:
        columns.append(Column("risk"))
    body: list[Row] = []
    for category in cat.categories:
        members = [p for p in cat.permissions if p.category == category.id and p.id in wanted]
        if members:
            body.append(Heading(category.label(lang)))
            body += [[p.label(lang), p.id, level(p.risk)][: len(columns)] for p in members]
    draw(title, columns, body)


def matrix_table(grid: Matrix, lang: str, *, by_category: bool) -> None:
    """The who-can-do-what grid. Columns are people (owner first, then active
    collaborators); pending people hold nothing and are listed apart. When full
    emails do not fit the terminal, columns are numbered with a legend; when
    even that does not fit, it falls back to the per-category summary (and when that
    does not fit either, to the stacked layout every table falls back to)."""
    from colabctl.cli.layout import Column, Heading
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
        say(
            _("note: %(count)d people do not fit %(width)d columns: counts per category")
            % {"count": len(holders), "width": width}
        )
    short = full > width
    people = [
        Column(str(i) if short else p.user, justify="center") for i, p in enumerate(holders, 1)
    ]
    title = _("Who can do what in %(account)s") % {"account": grid.account}
    body: list[Row] = []
    if by_category:
        for category in cat.categories:
            ids = set(p.id for p in cat.permissions if p.category == category.id)
            body.append(
                [
                    category.label(lang),
                    *[f"{len(ids & set(grid.grants[p.user]))}/{len(ids)}" for p in holders],
                ]
            )
        draw(title, [Column("category", text=True), *people], body)
    else:
        for category in cat.categories:
            body.append(Heading(category.label(lang)))
            body += [
                [f"  {perm.label(lang)}", *[mark(perm.id in grid.grants[p.user]) for p in holders]]
                for perm in cat.permissions
                if perm.category == category.id
            ]
        draw(title, [Column("permission", text=True), *people], body)
    if short:
        for i, person in enumerate(holders, 1):
            role = pgettext("role", "owner") if person.owner else person.profile
            emit_line(f"{i:>3} = {person.user} ({role})")
    if not by_category:
        emit_line(_("%(yes)s holds it   %(no)s does not") % {"yes": YES, "no": NO})
    if pending:
        emit_line(_("pending (hold nothing until they accept):"))
        for person in pending:
            emit_line(f"  {person.user} ({person.profile})")
