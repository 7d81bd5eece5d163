"""Unicode's own data, shipped unmodified in this folder (README.md; licence: LICENSE.txt):
confusables.txt (UTS #39, the confusable prototypes) and Scripts.txt (UAX #24, the Script
property), both version 18.0.0.

Read on first use, and only where a user is created or invited (and by migration m003):
`can` never loads either.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent


def _records(name: str) -> Iterator[list[str]]:
    """The data lines of a UCD-style file: fields split at ";", comments dropped."""
    with (HERE / name).open(encoding="utf-8-sig") as lines:
        for line in lines:
            data = line.partition("#")[0]
            if data.strip():
                yield [field.strip() for field in data.split(";")]


@cache
def prototypes() -> dict[str, str]:
    """confusables.txt as {character: prototype}. Lines read `0441 ;\t0063 ;\tMA # ...`:
    the source is one code point, the prototype one or more. (One regex over the whole
    763 kB file: about a third of the time of splitting its lines, most of which are
    comments.)"""
    import re

    text = (HERE / "confusables.txt").read_text(encoding="utf-8-sig")
    return {
        chr(int(source, 16)): "".join(chr(int(cp, 16)) for cp in target.split())
        for source, target in re.findall(r"^([0-9A-F]+)\s*;\s*([0-9A-F ]+?)\s*;", text, re.M)
    }


@cache
def _script_ranges() -> tuple[list[int], list[int], list[str]]:
    ranges = []
    for code_points, name, *_ in _records("Scripts.txt"):
        first, _, last = code_points.partition("..")
        ranges.append((int(first, 16), int(last or first, 16), name))
    ranges.sort()
    return [r[0] for r in ranges], [r[1] for r in ranges], [r[2] for r in ranges]


def script(char: str) -> str:
    """CHAR's Script property as Scripts.txt names it ("Latin", "Cyrillic", "Han",
    "Common", "Inherited", ...); "Unknown" for a code point it does not list."""
    starts, ends, names = _script_ranges()
    code = ord(char)
    at = bisect_right(starts, code) - 1
    return names[at] if at >= 0 and code <= ends[at] else "Unknown"


def version(name: str) -> str:
    """The Unicode version a shipped file states in its header ("18.0.0")."""
    with (HERE / name).open(encoding="utf-8-sig") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            if line.startswith("# Version:"):
                return line.removeprefix("# Version:").strip()
            if line.startswith(f"# {Path(name).stem}-") and line.rstrip().endswith(".txt"):
                return line.strip().removeprefix(f"# {Path(name).stem}-").removesuffix(".txt")
    return "unknown"
