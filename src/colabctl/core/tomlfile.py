"""Reading the TOML files colabctl is given (the config, presets, team files, policy
tests, review rules, the catalog): one reader, so every one of them is capped in size,
accepts a byte order mark, and reports bad bytes and bad TOML the same way, naming the
file and the line (docs/exit-codes.md: exit 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from colabctl.errors import Invalid
from colabctl.i18n import _

# How much each kind of file colabctl reads by name may hold (docs/exit-codes.md): enough
# for any real one, little enough that `/dev/zero` is refused within a second or two.
CONFIG_LIMIT = 1_000_000
TEST_FILE_LIMIT = 16_000_000  # policy tests and their matrix snapshots
RULES_LIMIT = 16_000_000
PRESET_LIMIT = 16_000_000  # a preset, or a file for `profile create --from`
TEAM_FILE_LIMIT = 200_000_000  # a team file (10,000 accounts: about 26 MB), a saved plan


def read(path: Path | None, shown: str, *, limit: int, what: str) -> bytes:
    """PATH's bytes (None: standard input), reading no more than LIMIT (so
    `--from /dev/zero` ends): core/files.read_capped."""
    from colabctl.core.files import read_capped

    return read_capped(path, shown, limit=limit, what=what)


def load(path: Path, shown: str, *, limit: int, what: str) -> dict[str, Any]:
    """The TOML file at PATH, read, decoded and parsed, each step capped or checked."""
    return parse(text(read(path, shown, limit=limit, what=what), shown), shown)


def text(raw: bytes, shown: str) -> str:
    """RAW as text: UTF-8, without the byte order mark some Windows editors write."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Invalid(
            _("%(file)s, line %(line)d: not UTF-8 text") % {"file": shown, "line": line}
        ) from exc


def parse(source: str, shown: str, *, fast: bool = False) -> dict[str, Any]:
    """SOURCE parsed as TOML. FAST: tomli, tomllib's own upstream compiled with mypyc
    (a dependency; about twice as fast on a 10,000-account team file), else tomllib."""
    parser: Any
    if fast:
        try:
            import tomli as parser
        except ImportError:  # pragma: no cover - tomli is a dependency
            import tomllib as parser
    else:
        import tomllib as parser
    try:
        data: dict[str, Any] = parser.loads(source)
    except parser.TOMLDecodeError as exc:
        raise Invalid(malformed(shown, str(exc))) from exc
    except RecursionError as exc:  # one level of recursion per [[[...]]] or {a={...}}
        raise Invalid(_("%(file)s: malformed TOML: nested too deeply") % {"file": shown}) from exc
    return data


def malformed(shown: str, reason: str) -> str:
    """The parser's refusal (English, "... (at line N, column M)") said in the chosen
    language: where, in our words; what, in the parser's own, named as its."""
    import re

    names: dict[str, object] = {"file": shown, "reason": reason}
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", reason, re.DOTALL)
    if found is not None:
        names |= {"reason": found[1], "line": int(found[2]), "column": int(found[3])}
        return (
            _(
                "%(file)s: malformed TOML at line %(line)d, column %(column)d (the parser"
                " says: %(reason)s)"
            )
            % names
        )
    found = re.fullmatch(r"(.*) \(at end of document\)", reason, re.DOTALL)
    if found is not None:
        names["reason"] = found[1]
        return (
            _("%(file)s: malformed TOML at the end of the file (the parser says: %(reason)s)")
            % names
        )
    return _("%(file)s: malformed TOML (the parser says: %(reason)s)") % names
