"""Recording the statements colabctl runs (tests/sqlrecorder.py): light enough to load in
every colabctl process the tests start (sitecustomize.py beside this file), so nothing
here imports pytest.

Recorded: statements whose caller is colabctl's own code (core, and the store modules
that speak for both engines), not SQLite's engine modules (store/db.py: its PRAGMAs and
catalog queries are SQLite's alone; store/questions.py: SQLite's answers to the questions
about the whole store, which a server answers with functions of its own), not
sqlite-utils (migrations), not the tests' helpers; each with the parameters it first ran
with (plain values only).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ENGINE_MODULES = frozenset(
    {"colabctl.store.db", "colabctl.store.migrations", "colabctl.store.questions"}
)
FOLDER_VARIABLE = "SQLRECORDER_DIR"  # where each child process leaves its statements

RECORDED: dict[str, Any] = {}  # statement -> the parameters it first ran with
_started: list[bool] = []


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str) else repr(value)


def _record(sql: str, parameters: Any) -> None:
    """Record SQL with the parameters it ran with (None: an executemany of no rows, whose
    parameters are unknown until another run gives some)."""
    caller = sys._getframe(2).f_globals.get("__name__", "")
    if not caller.startswith("colabctl.") or caller in ENGINE_MODULES:
        return
    if RECORDED.get(sql) is not None:
        return
    if parameters is None:
        RECORDED.setdefault(sql, None)
    elif isinstance(parameters, Mapping):
        RECORDED[sql] = {str(k): _plain(v) for k, v in parameters.items()}
    else:
        RECORDED[sql] = [_plain(v) for v in parameters]


def start() -> None:
    """Record every statement run through a SQLite store's connection from now on."""
    if _started:
        return
    _started.append(True)
    import sqlite3

    from colabctl.store.db import SqliteConnection

    execute, executemany = sqlite3.Connection.execute, sqlite3.Connection.executemany

    def recorded_execute(self: sqlite3.Connection, sql: str, parameters: Any = (), /) -> Any:
        _record(sql, parameters)
        return execute(self, sql, parameters)

    def recorded_executemany(self: sqlite3.Connection, sql: str, rows: Iterable[Any], /) -> Any:
        rows = list(rows)
        _record(sql, rows[0] if rows else None)
        return executemany(self, sql, rows)

    SqliteConnection.execute = recorded_execute  # type: ignore[method-assign]
    SqliteConnection.executemany = recorded_executemany  # type: ignore[method-assign]


def leave_at_exit(folder: str) -> None:
    """At this process's exit, write what it recorded to FOLDER/<pid>.json."""

    def write() -> None:
        if RECORDED:
            Path(folder, f"{os.getpid()}.json").write_text(json.dumps(RECORDED), "utf-8")

    atexit.register(write)


def merge(found: Mapping[str, Any]) -> None:
    """Statements recorded elsewhere (a worker, a process) join RECORDED; a sample of
    parameters wins over none."""
    for sql, sample in found.items():
        if RECORDED.get(sql) is None:
            RECORDED[sql] = sample


def left_in(folder: str) -> dict[str, Any]:
    """What the processes that ended wrote to FOLDER."""
    found: dict[str, Any] = {}
    for path in sorted(Path(folder).glob("*.json")):
        found.update(json.loads(path.read_text("utf-8")))
    return found
