"""core/exitcodes.py: the exit codes as `help exit-codes` lists them: every ExitCode, in
order, with its lower-case name and errors.MEANINGS' English sentence (docs/exit-codes.md)."""

from __future__ import annotations

from colabctl.core.exitcodes import meanings
from colabctl.errors import MEANINGS, ExitCode


def test_every_code_is_listed_once_in_order_with_its_meaning() -> None:
    listed = meanings()
    assert [m.code for m in listed] == sorted(ExitCode)
    assert [m.text for m in listed] == [MEANINGS[code] for code in sorted(ExitCode)]
    assert listed[0].as_json() == {"code": 0, "name": "ok", "meaning": MEANINGS[ExitCode.OK]}
    assert {m.name for m in listed} >= {"no", "not_found", "broken_pipe"}
