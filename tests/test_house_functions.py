"""The house's rule for functions (CONTRIBUTING.md, "Short functions"): no function in
src/ runs over 60 lines unless a `# long: why` comment stands beside it, and no such
comment stands beside a function that is not long.

A function's length is counted as Python's own parser sees it, from its `def` line to its
last line (docstring and comments included, decorators not). The reason stands in the
comment lines directly above the function (above its decorators) or on its `def` line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "colabctl"
LIMIT = 60
_REASON = re.compile(r"#\s*long:\s*\S")


def _has_reason(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if _REASON.search(lines[node.lineno - 1]):
        return True
    above = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    while above >= 1 and lines[above - 1].strip().startswith("#"):
        if _REASON.search(lines[above - 1]):
            return True
        above -= 1
    return False


def faults(source: str, name: str) -> list[str]:
    """The functions of SOURCE (a module named NAME) that break the rule, one line each."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        assert node.end_lineno is not None
        length = node.end_lineno - node.lineno + 1
        reason = _has_reason(lines, node)
        if length > LIMIT and not reason:
            found.append(f"{name}:{node.lineno} {node.name}: {length} lines, no `# long:` reason")
        elif length <= LIMIT and reason:
            found.append(f"{name}:{node.lineno} {node.name}: {length} lines, a stale `# long:`")
    return found


def test_no_function_in_src_is_long_without_a_reason() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 50  # the tree is where this test thinks it is
    found = [
        fault
        for path in modules
        for fault in faults(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    ]
    assert found == []


# -- the check itself can fail ---------------------------------------------------------


def _function(lines: int, *, above: str = "", on_def: str = "", indent: str = "") -> str:
    """A function of exactly LINES lines (its def and a docstring, then statements)."""
    body = [f'{indent}    """A planted function."""'] + [
        f"{indent}    x{n} = {n}" for n in range(lines - 2)
    ]
    return "\n".join([*filter(None, [above]), f"{indent}def planted():{on_def}", *body]) + "\n"


def test_a_function_over_the_limit_is_found() -> None:
    assert faults(_function(LIMIT), "m.py") == []
    assert faults(_function(LIMIT + 1), "m.py") == ["m.py:1 planted: 61 lines, no `# long:` reason"]


@pytest.mark.parametrize(
    "source",
    [
        _function(LIMIT + 1, above="# long: a table of every case, read top to bottom"),
        _function(LIMIT + 1, on_def="  # long: a state machine over one loop"),
        "# long: its options are its signature\n@command(app)\n" + _function(LIMIT + 1),
        "# one line first\n# long: a reason\n# and more\n" + _function(LIMIT + 1),
    ],
    ids=["above", "on-def", "above-decorators", "in-a-comment-block"],
)
def test_a_reason_beside_it_lets_it_be(source: str) -> None:
    assert faults(source, "m.py") == []


@pytest.mark.parametrize(
    "source",
    [
        _function(LIMIT + 1, above="# long:"),  # no reason given
        "# long: a reason\n\n" + _function(LIMIT + 1),  # not beside it
        _function(LIMIT + 1, above="# a long function"),  # not the marker
    ],
    ids=["empty", "apart", "no-marker"],
)
def test_a_reason_must_be_given_beside_it(source: str) -> None:
    assert [f.split(" ", 1)[1] for f in faults(source, "m.py")] == [
        "planted: 61 lines, no `# long:` reason"
    ]


def test_methods_and_nested_functions_count() -> None:
    method = "class C:\n" + _function(LIMIT + 1, indent="    ")
    nested = "def outer():\n" + _function(LIMIT + 1, indent="    ")
    assert [f.split()[1] for f in faults(method, "m.py")] == ["planted:"]
    assert sorted(f.split()[1] for f in faults(nested, "m.py")) == ["outer:", "planted:"]


def test_a_reason_beside_a_short_function_is_stale() -> None:
    assert faults(_function(LIMIT, above="# long: it was, once"), "m.py") == [
        "m.py:2 planted: 60 lines, a stale `# long:`"
    ]
