"""Bulk work: no cyclic garbage collection while a command builds or walks a large
amount of data that holds no cycles.

`audit verify` builds two states of hundreds of thousands of small lists (a quarter of
its time on a 100,000-row log went to the collector), and a team file's `plan` and
`apply` keep the parsed file and the plan alive, millions of objects (a third of a
100,000-person apply). None of them makes cycles to collect, so the collector would only
walk them again and again. Used by store/audit.py and core/team/commands.py.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Cyclic garbage collection off inside the block; on again after it, if it was on
    before (nested blocks leave it to the outermost)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
