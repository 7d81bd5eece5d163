"""cli/boxes.py draws a table byte for byte as rich's Table draws it (output._table, the
oracle: what rich still draws where boxes cannot match it), plain and styled, and
cli/output.py decides the width and the styling as rich's Console does.

Tables here are drawn both ways and compared whole: explicit cases (wide, combining and
zero-width characters, spaces of every kind, words wider than their column, sections,
headers that wrap, titles wider than the table) and a property over random tables."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from colabctl.cli import boxes, output
from colabctl.cli.layout import Column, Heading, Justify, Row

pytestmark = pytest.mark.quick  # no store, no process: plain unit tests (the property: slow)


class Table(NamedTuple):
    """A table to draw: its title, columns, rows and cell widths (padding excluded)."""

    title: str | None
    columns: list[Column]
    body: list[Row]
    widths: list[int]


def by_rich(table: Table, *, styled: bool, width: int = output.NATURAL_WIDTH) -> str:
    """The table as rich prints it at WIDTH columns, colour on (a terminal) or off."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=styled,
        color_system="standard" if styled else None,
    )
    title, columns, body, widths = table
    console.print(output._table(title, columns, [c.name for c in columns], body, widths))
    return out.getvalue()


def by_boxes(table: Table, *, styled: bool, width: int = output.NATURAL_WIDTH) -> str:
    """The table as cli/boxes.py draws it, given as output.draw gives it."""
    title, columns, body, widths = table
    justify = [c.justify for c in columns]
    headers = [c.name for c in columns]
    shown = title and output.visible(title)
    return boxes.drawn(shown, justify, headers, body, widths, width=width, styled=styled)


def same(table: Table, spare: int | None = None) -> None:
    """Drawn alike, plain and styled, on a console SPARE columns wider than the table
    (None: at its natural width, unbounded)."""
    widths = table.widths
    width = output.NATURAL_WIDTH if spare is None else sum(widths) + 3 * len(widths) + 1 + spare
    for styled in (False, True):
        mine = outcome(by_boxes, table, styled=styled, width=width)
        theirs = outcome(by_rich, table, styled=styled, width=width)
        assert mine == theirs, (styled, mine, theirs)


def outcome(draw: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """What DRAW gives, or the error it raises: rich's own cell measures fail on a few
    nonsense strings (two zero-width joiners in a row), and then both must fail alike."""
    try:
        return draw(*args, **kwargs)
    except (IndexError, ZeroDivisionError) as exc:
        return f"{type(exc).__name__}: {exc}"


ID, TEXT = Column("user"), Column("description", text=True)
RIGHT, CENTER = Column("rows", justify="right"), Column("ok", justify="center")

CASES = [
    # a plain table at its natural width
    Table(
        "Collaborators", [ID, RIGHT], [["ana@example.com", "3"], ["bo@example.com", "12"]], [15, 4]
    ),
    # free text wrapped between words; a header wrapped too (it sits at the bottom)
    Table(None, [Column("access until"), TEXT], [["x", "one two three four five"]], [6, 9]),
    # sections: a label first (no line over it), then a line before each further one
    Table(
        "Permissions",
        [TEXT, ID, CENTER],
        [
            *[Heading("Sales"), ["  See sales", "sales.view", "✓"], Heading("Refunds")],
            *[["  Ask", "purchases.request_refunds", "·"], Heading("Empty"), Heading("Two")],
        ],
        [12, 25, 2],
    ),
    # wide and combining characters, zero-width joiners and variation selectors
    Table(
        "表",
        [TEXT, CENTER],
        [["漢字 かな 한국어", "👩\u200d💻"], ["é e\u0301 ❤\ufe0f", "Ｗ"]],
        [7, 2],
    ),
    # spaces of other kinds, leading, trailing, doubled; empty cells
    Table(
        None, [TEXT, RIGHT], [["\xa0a\xa0 b\u3000c  ", ""], ["", " 1 "], ["   ", "\u3000"]], [3, 3]
    ),
    # words wider than the column: folded (a title wider than its table too)
    Table("A title far wider than the table it names", [TEXT], [["abcdefghij k"]], [4]),
    Table("漢字のタイトルはとても長い", [CENTER], [["ＷＷＷ"], ["a\u200bb"]], [3]),
    # a row short of cells: empty ones after
    Table(
        "Short", [ID, RIGHT, CENTER], [["a"], ["b", "2"], Heading("S"), ["c", "3", "x"]], [1, 1, 1]
    ),
    # zero-width and C1 characters and line separators, which rich measures as nothing
    Table(None, [TEXT, RIGHT], [["a\x85b \u2028c", "\u200b"], ["\u200d", "\ufe0f"]], [2, 1]),
]


@pytest.mark.parametrize("case", CASES, ids=[str(n) for n in range(len(CASES))])
def test_known_tables_are_drawn_as_rich_draws_them(case: Table) -> None:
    same(case)


def test_a_styled_table_is_bold_where_rich_makes_it_bold() -> None:
    """The bytes themselves, so that the comparison above cannot pass on two wrong ones:
    bold header cells (padding included), a bold section label (padding excluded), the
    title plain."""
    table = Table("T", [ID, RIGHT], [Heading("S"), ["a", "1"]], [4, 4])
    text = by_boxes(table, styled=True, width=15)
    assert text.splitlines() == [
        "T" + " " * 14,
        "┏━━━━━━┳━━━━━━┓",
        "┃\x1b[1m \x1b[0m\x1b[1muser\x1b[0m\x1b[1m \x1b[0m┃"
        "\x1b[1m \x1b[0m\x1b[1mrows\x1b[0m\x1b[1m \x1b[0m┃",
        "┡━━━━━━╇━━━━━━┩",
        "│ \x1b[1mS   \x1b[0m │      │",
        "│ a    │    1 │",
        "└──────┴──────┘",
    ]


# -- any table ---------------------------------------------------------------------------------

CHARACTERS = st.sampled_from(
    [
        *"abcXYZ019-.@  ",
        *"\xa0\u3000漢字한Ｗ😀👩✓·é",
        *"\u0301\u200b\u200d\ufe0f\u2028\x85\x7f",  # combining, zero-width, C1, separators
    ]
)
TEXTS = st.text(CHARACTERS, max_size=24)
JUSTIFY: st.SearchStrategy[Justify] = st.sampled_from(["left", "right", "center"])


@st.composite
def tables(draw: Any) -> tuple[Table, int | None]:
    count = draw(st.integers(1, 4))
    columns = [Column(draw(TEXTS), justify=draw(JUSTIFY)) for _ in range(count)]
    row = st.lists(TEXTS, min_size=1, max_size=count)  # short of cells: empty ones after
    body: list[Row] = draw(st.lists(st.one_of(row, TEXTS.map(Heading)), min_size=1, max_size=6))
    widths = draw(st.lists(st.integers(1, 14), min_size=count, max_size=count))
    spare = draw(st.one_of(st.none(), st.integers(0, 3)))
    return Table(draw(st.one_of(st.none(), TEXTS)), columns, body, widths), spare


@settings(max_examples=1500, deadline=None)
@given(tables())
def test_any_table_is_drawn_as_rich_draws_it(table: tuple[Table, int | None]) -> None:
    """Any cells, headers and section labels, at any widths (narrower than a word, than a
    wide character, than the header), plain and styled, on a console as wide as the table
    or wider."""
    same(*table)


# -- the screen: width and styles, as rich's Console decides them ----------------------------


class Stream(io.StringIO):
    """A stdout that is a terminal or not."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


ENVIRONMENTS = [
    {},
    {"NO_COLOR": "1"},
    {"TERM": "dumb"},
    {"TERM": "Unknown", "COLUMNS": "120"},
    {"TERM": "dumb", "COLUMNS": "120", "LINES": "40"},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"FORCE_COLOR": "1", "TERM": "dumb"},
    {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
    {"TTY_COMPATIBLE": "1"},
    {"COLUMNS": "0"},
    {"COLUMNS": " 90 "},
    {"COLUMNS": "abc", "TERM": "xterm-256color"},
    {"COLUMNS": "100", "NO_COLOR": "1", "COLORTERM": "truecolor"},
]
WATCHED = ("NO_COLOR", "TERM", "COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "COLORTERM")


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: repr(env))
def test_the_screen_is_the_one_rich_would_see(
    env: dict[str, str], tty: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in WATCHED:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdout", Stream(tty))
    output.console.cache_clear()
    try:
        screen = output.console()
        rich = Console(highlight=False, soft_wrap=False, width=output.width())
        assert (screen.width, screen.styled) == (rich.width, rich.color_system is not None)
    finally:
        output.console.cache_clear()
