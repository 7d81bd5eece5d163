"""The statement recorder in the processes the tests start (tests/sqlrecorder.py): with
SQLRECORDER_DIR set, this folder is on their PYTHONPATH, so each process that runs
colabctl records its statements and leaves them in that folder when it exits."""

from __future__ import annotations

import os

_folder = os.environ.get("SQLRECORDER_DIR")
if _folder:
    import importlib

    try:
        sqlrecording = importlib.import_module("sqlrecording")  # this folder's
        sqlrecording.start()
    except ImportError:  # a process without colabctl (a wheel build): nothing to record
        pass
    else:
        sqlrecording.leave_at_exit(_folder)
