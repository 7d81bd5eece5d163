"""Where a TOML file says something: the line a fault in a well-formed file names.

tomllib tells where a file is malformed, never where a well-formed one holds a wrong
value, so the readers of presets (core/presets.py), policy tests (core/policy/) and
review rules (core/sod.py) find the line in the text: a top-level `key = ...`, a
`[table]` or `[[table]]` header, or a value quoted on the lines of a key. Only
assignments and headers count, so a mention in a comment or in another key's text
above is never the line named. A team file, whose faults are named by their whole
dotted path, keeps an index of its own (core/team/file.py).
"""

from __future__ import annotations

import json
import re


class Lines:
    """The lines of one TOML text, numbered from 1 (0 or None: the text does not say)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._headers: dict[str, list[int]] = {}  # name -> its [[name]] headers' lines

    def __len__(self) -> int:
        return len(self.lines)

    def key(self, key: str, value: str | None = None, *, start: int = 1, end: int = 0) -> int:
        """The line in [START, END] (END 0: the last) of `KEY = ...`; given VALUE, the first
        line from there holding it as a quoted string, else the key's own; 0 when there
        is no such key."""
        end = end or len(self.lines)
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        at = next((n for n in range(start, end + 1) if pattern.match(self.lines[n - 1])), 0)
        if not at or value is None:
            return at
        quoted = (json.dumps(value, ensure_ascii=False), f"'{value}'")
        for number in range(at, end + 1):
            line = self.lines[number - 1]
            code = line.split("#", 1)[0] if "#" not in value else line
            if any(q in code for q in quoted):
                return number
        return at

    def key_or_table(self, key: str) -> int:
        """The line where top-level KEY is set: as `KEY = ...`, else as the header of a
        `[KEY]`, `[KEY.sub]` or `[[KEY]]` table (0: neither)."""
        found = self.key(key)
        if found:
            return found
        header = re.compile(rf"\s*\[\[?\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*[\].]")
        return next((n for n, line in enumerate(self.lines, 1) if header.match(line)), 0)

    def array_table(self, name: str, index: int, count: int) -> int:
        """The line of the INDEXth of COUNT `[[NAME]]` tables. Written otherwise (`NAME =
        [{...}]`), the line of that key; 0 when the text does not say."""
        found = self._headers.get(name)
        if found is None:  # once per name: a test file may hold thousands of tables
            header = re.compile(rf"\s*\[\[\s*{re.escape(name)}\s*\]\]\s*(?:#.*)?$")
            found = [n for n, line in enumerate(self.lines, 1) if header.match(line)]
            self._headers[name] = found
        if len(found) == count:
            return found[index]
        return self.key(name)

    def end_of(self, start: int) -> int:
        """The last line of the table whose header is at START."""
        for number in range(start + 1, len(self.lines) + 1):
            if _ANY_HEADER.match(self.lines[number - 1]):
                return number - 1
        return len(self.lines)


_ANY_HEADER = re.compile(r"\s*\[")
