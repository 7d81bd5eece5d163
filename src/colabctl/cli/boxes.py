"""A table drawn as text, in rich's default box, without rich's console.

cli/layout.py decides every column width; this module draws the table with those widths
exactly as rich's Table would (box HEAVY_HEAD, one space of padding each side of a
cell, the title left-justified over the table, a line before each section), down to the
byte, with and without styles: importing and running rich's console cost a table read
more than all of colabctl's own work (bench/cold_start.py). tests/cli/test_boxes.py
draws thousands of tables both ways and holds the two to the same bytes.

The steps are rich's, ported one by one, on rich's own cell measures (rich.cells, cheap
to import): a cell's text is broken into lines as rich's Text.wrap breaks it with
overflow "fold" (`lines`); then each line, a list of segments (text, bold), is measured
and padded or cut to its width at each level rich does it (`_fit`: the cell, the cell
with its padding, the row, the console), which only matters where rich's measure of a
whole line differs from its parts' (a zero-width joiner before a space). Nothing here
prints: cli/output.py writes what this returns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from rich.cells import cell_len, chop_cells, set_cell_size

from colabctl.cli.layout import Heading, Justify, Row

# rich's box.HEAVY_HEAD, by part: (left, fill, between, right)
TOP = ("┏", "━", "┳", "┓")
HEAD_ROW = ("┃", "", "┃", "┃")
HEAD_RULE = ("┡", "━", "╇", "┩")
ROW = ("│", "", "│", "│")
SECTION = ("├", "─", "┼", "┤")
BOTTOM = ("└", "─", "┴", "┘")

# rich's style for a header ("table.header" in its default theme) and a section's label:
# bold. The title is given to rich as a Text, so rich's italic "table.title" never applies.
BOLD, RESET = "\x1b[1m", "\x1b[0m"

Segment = tuple[str, bool]  # a run of text, and whether it is bold
Line = list[Segment]

_WORD = re.compile(r"\s*\S+\s*")  # rich/_wrap.py: a word and the spaces after it
_TRAILING_SPACE = re.compile(r"\s+$")  # rich/text.py


def drawn(
    title: str | None,
    justify: Sequence[Justify],
    headers: Sequence[str],
    body: Sequence[Row],
    widths: Sequence[int],
    *,
    width: int,
    styled: bool,
) -> str:
    """The table's text, each line ended by a newline, as rich's console prints it at
    WIDTH columns: WIDTHS are the cells' (padding excluded, each at least 1, the whole
    within WIDTH); STYLED, whether the console styles text (a terminal rich colours).
    TITLE and the cells are shown as given (output.visible escapes them first)."""
    full = [w + 2 for w in widths]
    out: list[Line] = []
    if title:
        out += [[(line, False)] for line in lines(title, sum(full) + len(full) + 1, "left")]
    out.append(_rule(TOP, full))
    heads = [_cell(*cell, "header") for cell in zip(headers, widths, justify, strict=True)]
    out += _row(heads, full, HEAD_ROW, header=True)
    out.append(_rule(HEAD_RULE, full))
    for index, row in enumerate(body):
        if isinstance(row, Heading):
            if index:
                out.append(_rule(SECTION, full))
            texts, kinds = [row.text], ["heading"]
        else:
            texts, kinds = list(row), []
        # a row short of cells ends in empty ones, as in rich (a section's label row too)
        texts += [""] * (len(widths) - len(texts))
        kinds += [""] * (len(widths) - len(kinds))
        cells = [_cell(*cell) for cell in zip(texts, widths, justify, kinds, strict=True)]
        out += _row(cells, full, ROW)
    out.append(_rule(BOTTOM, full))
    return "".join(_text(_fit(line, width, pad=False), styled) + "\n" for line in out)


def _text(line: Line, styled: bool) -> str:
    """LINE as rich writes it: each bold segment wrapped in its own codes when styled."""
    if not styled:
        return "".join(text for text, _ in line)
    return "".join(f"{BOLD}{text}{RESET}" if bold and text else text for text, bold in line)


def _rule(box: tuple[str, str, str, str], full: Sequence[int]) -> Line:
    left, fill, between, right = box
    return [(left + between.join(fill * size for size in full) + right, False)]


def _cell(text: str, width: int, justify: Justify, kind: str) -> list[Line]:
    """A cell's lines with their padding, at WIDTH + 2: a header is bold throughout, a
    section's label only in its text (rich styles a header's cell, a label's Text);
    every other cell is plain."""
    label, header = kind == "heading", kind == "header"
    result = []
    for line in lines(text, width, justify):
        inner = _fit([(line, label)] if line else [], width)  # the Text within the padding
        padded = [(" ", False), *inner, (" ", False)]
        result.append(_fit([(t, bold or header) for t, bold in padded], width + 2, bold=header))
    return result


def _row(
    cells: list[list[Line]],
    full: Sequence[int],
    box: tuple[str, str, str, str],
    *,
    header: bool = False,
) -> list[Line]:
    """A row's lines: every cell as tall as the tallest, with blank lines under it (over
    it for a header, which rich aligns to the bottom of its row: blank and bold)."""
    left, _, between, right = box
    height = max(len(cell) for cell in cells)
    result = []
    for n in range(height):
        line: Line = [(left, False)]
        for i, cell in enumerate(cells):
            missing = height - len(cell)
            at = n - missing if header else n
            part = cell[at] if 0 <= at < len(cell) else [(" " * full[i], header)]
            line += _fit(part, full[i])
            line.append((between if i < len(cells) - 1 else right, False))
        result.append(line)
    return result


def _fit(line: Line, width: int, *, bold: bool = False, pad: bool = True) -> Line:
    """LINE measured and made WIDTH cells wide as rich's Segment.adjust_line_length makes
    it: padded with spaces (bold or not), or cut in the segment that reaches WIDTH, the
    segments after it dropped."""
    length = sum(cell_len(text) for text, _ in line)
    if length < width:
        return [*line, (" " * (width - length), bold)] if pad else line
    if length == width:
        return line
    cut: Line = []
    length = 0
    for text, style in line:
        size = cell_len(text)
        if length + size < width:
            cut.append((text, style))
            length += size
        else:
            cut.append((set_cell_size(text, width - length), style))
            break
    return cut


def lines(text: str, width: int, justify: Justify) -> list[str]:
    """TEXT (one line: no newline or tab) in lines of WIDTH cells, as rich's Text.wrap
    gives them with overflow "fold": broken between words, a word wider than WIDTH
    folded, each line justified (rich/text.py wrap, rich/containers.py justify)."""
    result = []
    for line in _divide(text, _breaks(text, width)):
        if len(line) > width:  # rstrip_end: code points, as rich counts them there
            trailing = _TRAILING_SPACE.search(line)
            if trailing is not None:
                line = line[: -min(len(trailing.group()), len(line) - width)]
        result.append(_truncate(_justified(line, width, justify), width))
    return result


def _justified(line: str, width: int, justify: Justify) -> str:
    """rich's Lines.justify: left pads; center and right strip the spaces at the end
    first, then pad both sides (the odd space on the right) or the left."""
    if justify == "left":
        return _truncate(line, width, pad=True)
    line = _truncate(line.rstrip(), width)
    if justify == "right":
        return " " * (width - cell_len(line)) + line
    line = " " * ((width - cell_len(line)) // 2) + line
    return line + " " * (width - cell_len(line))


def _truncate(line: str, width: int, *, pad: bool = False) -> str:
    """rich's Text.truncate with overflow "fold": cut to WIDTH cells, or padded to it."""
    length = cell_len(line)
    if length > width:
        line = set_cell_size(line, width)
    if pad and length < width:
        line += " " * (width - length)
    return line


def _breaks(text: str, width: int) -> list[int]:
    """Where a line of TEXT breaks at WIDTH cells (rich/_wrap.py divide_line, fold=True):
    before a word that does not fit what is left of the line, and inside a word wider
    than WIDTH, which is folded (the spaces after a word never break it)."""
    breaks: list[int] = []
    offset = 0
    for found in _WORD.finditer(text):
        start, word = found.start(), found.group()
        size = cell_len(word.rstrip())
        if width - offset >= size:
            offset += cell_len(word)
        elif size > width:
            parts = chop_cells(word, width)
            for n, part in enumerate(parts):
                if start:
                    breaks.append(start)
                if n == len(parts) - 1:
                    offset = cell_len(part)
                else:
                    start += len(part)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def _divide(text: str, breaks: Sequence[int]) -> list[str]:
    bounds = [0, *breaks, len(text)]
    return [text[a:b] for a, b in pairwise(bounds)] if breaks else [text]
