"""The statement recorder in the processes the tests start (tests/sqlrecorder.py): with
SQLRECORDER_DIR set, this folder is on their PYTHONPATH, so each process that opens a
SQLite store records its statements and leaves them in that folder when it exits.

Nothing is imported until that first connection (an audit hook waits for it): the tests
that hold what a command imports see the process as it would be."""

from __future__ import annotations

import os
import sys


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "sqlite3.connect/handle" or _started or "pytest" in sys.modules:
        return  # pytest's own processes record in process (tests/conftest.py)
    _started.append(True)
    import importlib

    recording = importlib.import_module("sqlrecording")  # this folder's
    recording.start()
    recording.leave_at_exit(os.environ["SQLRECORDER_DIR"])


_started: list[bool] = []
if os.environ.get("SQLRECORDER_DIR"):
    sys.addaudithook(_hook)
