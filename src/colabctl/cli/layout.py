"""How a table is laid out (docs/commands.md, "Output"), apart from drawing it.

A column is an id or free text. Ids (slugs, emails, timestamps, permission and finding
ids, statuses, counts) are never split across lines; free text (names, descriptions,
messages) wraps at word boundaries, never inside a word. `widths` finds column widths
that honour both within a width, or says that none do: then the table is shown
`stacked`, one block of `key: value` lines per row. Nothing here prints: cli/output.py
draws what this decides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

Justify = Literal["left", "right", "center"]


class Column(NamedTuple):
    """A table column: NAME (the English header), free TEXT or an id, and its alignment."""

    name: str
    text: bool = False
    justify: Justify = "left"


# What a command gives for a column: a plain name (an id column), (name, "text") for free
# text, (name, "right") for a right-aligned id (a count), or a Column.
ColumnSpec = str | tuple[str, str] | Column


class Heading(NamedTuple):
    """A section row: a label over the rows that follow (a permission category)."""

    text: str


Row = Sequence[str] | Heading


def column(spec: ColumnSpec) -> Column:
    if isinstance(spec, Column):
        return spec
    if isinstance(spec, tuple):
        name, kind = spec
        if kind == "text":
            return Column(name, text=True)
        return Column(name, justify="right" if kind == "right" else "center")
    return Column(spec)


def cell_len(text: str) -> int:
    """Columns TEXT takes on a terminal (a wide character takes two)."""
    from rich.cells import cell_len as measured

    return measured(text)


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


# Around every cell: one space of padding each side; between and around the columns,
# one border character each (rich's default box).
PADDING = 2


def overhead(columns: int) -> int:
    return columns * PADDING + columns + 1


def widths(
    columns: Sequence[Column], headers: Sequence[str], body: Sequence[Row], width: int
) -> list[int] | None:
    """Cell widths (padding excluded) for a table within WIDTH, or None when none fits.

    Every column first gets its natural width (its widest cell or header). If that is too
    wide, the widest columns give way first, each down to its least: an id column to its
    widest cell (only its header may wrap, between words), a free-text column to its
    longest word; if even that is too wide, None."""
    natural = [cell_len(h) for h in headers]
    least = [_longest_word(h) for h in headers]
    for row in body:
        cells = [row.text] if isinstance(row, Heading) else row
        for i, cell in enumerate(cells):
            natural[i] = max(natural[i], cell_len(cell))
            narrowest = _longest_word(cell) if columns[i].text else cell_len(cell)
            least[i] = max(least[i], narrowest)
    room = width - overhead(len(columns))
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    fitted = list(natural)
    for _ in range(sum(natural) - room):
        # narrow the widest column that still has room to give
        i = max((i for i in range(len(fitted)) if fitted[i] > least[i]), key=fitted.__getitem__)
        fitted[i] -= 1
    return fitted


def wrap(text: str, width: int) -> list[str]:
    """TEXT in lines of at most WIDTH columns, broken only between words (a word longer
    than WIDTH stands alone on its line, whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and cell_len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current or not lines else lines


def stacked(
    title: str | None,
    columns: Sequence[Column],
    headers: Sequence[str],
    body: Sequence[Row],
    width: int,
) -> Iterator[str]:
    """The table as blocks of `key: value` lines, one block per row, for a width no table
    layout fits: free text wraps under its value, ids stay whole (a line longer than the
    width is left to the terminal rather than split)."""
    if title:
        yield title
    keys = [f"{h}:" for h in headers]
    indent = max(cell_len(k) for k in keys) + 1
    first = True
    for row in body:
        if isinstance(row, Heading):
            yield ""
            yield row.text
            first = True
            continue
        if not first:
            yield ""
        first = False
        for key, cell, col in zip(keys, row, columns, strict=True):
            if not cell:
                continue
            pad = " " * (indent - cell_len(key))
            lines = wrap(cell, max(width - indent, 1)) if col.text else [cell]
            yield f"{key}{pad}{lines[0]}"
            yield from (" " * indent + line for line in lines[1:])
