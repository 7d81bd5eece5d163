"""The rule tests/conftest.py holds every test module to: one that touches a store runs
on both engines, or its docstring says why not (a line beginning `Engines:`).

Engines: none: the modules judged here are made up, and no store is opened."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from conftest import _one_engine_without_reason


def module(tmp_path: Path, source: str, doc: str | None, mark: Any = None) -> Any:
    obj = ModuleType("test_example", doc)
    if mark is not None:
        obj.pytestmark = mark  # type: ignore[attr-defined]
    path = tmp_path / "test_example.py"
    path.write_text(source, "utf-8")
    return SimpleNamespace(obj=obj, path=path)


USES_DB_PATH = [SimpleNamespace(fixturenames=["db_path", "engine", "tmp_path"])]
PLAIN = [SimpleNamespace(fixturenames=["tmp_path"])]


@pytest.mark.parametrize(
    ("source", "doc", "mark", "items", "offends"),
    [
        ("def test(db_path): ...", "About x.", None, USES_DB_PATH, False),  # both engines
        ("...", "About x.", pytest.mark.engines("sqlite"), USES_DB_PATH, True),
        ("...", "About x.\n\nEngines: a file.", pytest.mark.engines("sqlite"), USES_DB_PATH, False),
        ("...", None, [pytest.mark.slow, pytest.mark.engines("postgres")], USES_DB_PATH, True),
        ("...", "x", pytest.mark.engines("sqlite", "postgres"), USES_DB_PATH, False),
        ("open_for_write(tmp_path / 'x.db')", "Its own store.", None, PLAIN, True),
        ("open_for_write(tmp_path / 'x.db')", "Engines: its own file.", None, PLAIN, False),
        ("assert 1 + 1 == 2", "No store at all.", None, PLAIN, False),
    ],
    ids=[
        "both",
        "sqlite-silent",
        "sqlite-said",
        "postgres-silent",
        "both-named",
        "own-silent",
        "own-said",
        "no-store",
    ],
)
def test_a_module_runs_on_both_engines_or_says_why_not(
    tmp_path: Path, source: str, doc: str | None, mark: Any, items: list[Any], offends: bool
) -> None:
    assert _one_engine_without_reason(module(tmp_path, source, doc, mark), items) is offends
