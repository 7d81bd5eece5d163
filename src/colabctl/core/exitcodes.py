"""The exit codes as `help exit-codes` lists them. The table itself is errors.py's
MEANINGS (docs/exit-codes.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from colabctl.errors import MEANINGS, ExitCode

if TYPE_CHECKING:
    from colabctl.core import shapes


class Meaning(NamedTuple):
    code: ExitCode
    text: str  # English; translated where a person reads it

    @property
    def name(self) -> str:
        return self.code.name.lower()

    def as_json(self) -> shapes.ExitCodeEntry:
        return {"code": int(self.code), "name": self.name, "meaning": self.text}


def meanings() -> list[Meaning]:
    """Every exit code, in order, with what it means."""
    return [Meaning(code, text) for code, text in MEANINGS.items()]
