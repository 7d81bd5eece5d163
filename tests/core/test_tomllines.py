"""core/tomllines.py: the line a fault in a well-formed TOML file names: a key's own line
or the line quoting its value, a table's header, the Nth `[[table]]`, where a table
ends; only assignments and headers count, never a mention in a comment."""

from __future__ import annotations

from colabctl.core.tomllines import Lines

TEXT = """# name = "in a comment"
name = "soporte"
permissions = [
  "products.view",
  "purchases.search",  # "products.view" again, in a comment
]

[[sod]]
name = "a"

[[sod]]  # the second
name = "b"

[title]
es = "Soporte"
"""


def test_a_key_is_found_at_its_assignment_and_a_value_on_its_own_line() -> None:
    lines = Lines(TEXT)
    assert len(lines) == 15
    assert lines.key("name") == 2  # not the comment above it
    assert lines.key("permissions", "purchases.search") == 5
    assert lines.key("permissions", "missing.value") == 3  # the key's own line
    assert lines.key("nothing") == 0
    assert lines.key("name", start=8, end=9) == 9


def test_tables_are_found_by_their_headers() -> None:
    lines = Lines(TEXT)
    assert lines.key_or_table("title") == 14
    assert lines.key_or_table("absent") == 0
    assert [lines.array_table("sod", i, 2) for i in range(2)] == [8, 11]
    assert lines.array_table("sod", 0, 3) == 0  # the count disagrees: the text does not say
    assert lines.end_of(8) == 10
    assert lines.end_of(14) == 15


def test_an_array_of_inline_tables_is_found_at_its_key() -> None:
    lines = Lines('sod = [{ name = "a" }, { name = "b" }]\n')
    assert lines.array_table("sod", 1, 2) == 1
