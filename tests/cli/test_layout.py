"""The table layout (cli/layout.py): widths that split neither ids nor words, and the
stacked layout when none fit."""

from __future__ import annotations

from colabctl.cli import layout
from colabctl.cli.layout import Column, Heading


def test_free_text_gives_way_before_ids() -> None:
    columns = [Column("id"), Column("text", text=True)]
    body = [["abcdefghij", "one two three four five six"]]
    assert layout.widths(columns, ["id", "text"], body, 200) == [10, 27]
    narrow = layout.widths(columns, ["id", "text"], body, 10 + 5 + layout.overhead(2))
    assert narrow == [10, 5]  # "three", the longest word, still fits
    assert layout.widths(columns, ["id", "text"], body, 10 + 4 + layout.overhead(2)) is None


def test_stacked_blocks_wrap_text_and_keep_ids() -> None:
    columns = [Column("user"), Column("note", text=True)]
    body = [Heading("Group"), ["x" * 30, "alpha beta gamma delta"]]
    lines = list(layout.stacked("Title", columns, ["user", "note"], body, 20))
    assert lines == [
        "Title",
        "",
        "Group",
        "user: " + "x" * 30,
        "note: alpha beta",
        "      gamma delta",
    ]
