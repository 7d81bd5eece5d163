"""core/shapedoc.py: docs/json.md's blocks written from the shapes: each key in printed
order with its type and meaning, an anchor per entry, nested objects indented."""

from __future__ import annotations

import pytest

from colabctl.core.shapedoc import entry, keys, markdown
from colabctl.core.shapes import Head


def test_keys_come_in_printed_order_with_their_meanings() -> None:
    found = keys(Head)
    assert [(k.name, k.type, k.required) for k in found] == [
        ("seq", int, True),
        ("hash", str, True),
    ]
    assert found[0].meaning.startswith("the last row's seq")


def test_an_entry_is_a_block_with_its_anchor_command_and_keys() -> None:
    block = markdown("audit-head")
    assert block.startswith('<a id="json-audit-head"></a>\n')
    assert "`audit head --json`: an object." in block
    assert [line for line in block.splitlines() if line.startswith("- ")] == [
        "- `seq` (integer): the last row's seq (0 for an empty log).",
        "- `hash` (string): its hash (64 zeros for an empty log).",
    ]
    with pytest.raises(ValueError):
        entry("no-such-entry")
