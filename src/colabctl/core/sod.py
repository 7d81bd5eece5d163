"""Separation of duties (docs/review.md): the pairs of permissions no one person should
hold together, read from a rules file (the shipped sod_rules.toml, or `--rules FILE`),
and which of them a set of permissions breaks.

Apart from the review (core/review.py, which judges whole rosters by these rules) so
that `profile create` and `profile edit`, which warn of the pairs a profile holds, load
only this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from colabctl.core import tomlfile
from colabctl.core.access import Standing, decide
from colabctl.core.catalog import catalog
from colabctl.core.names import at_line, quoted
from colabctl.core.tomllines import Lines
from colabctl.errors import Invalid
from colabctl.i18n import _
from colabctl.i18n import shown as shown_text

SEVERITIES = ("high", "medium", "low")
RULES_FILE = Path(__file__).with_name("sod_rules.toml")
BUILT_RULES_FILE = RULES_FILE.with_suffix(".json")  # in the wheel only (hatch_build.py)
MAX_RULES_BYTES = tomlfile.RULES_LIMIT


@dataclass(frozen=True)
class SodRule:
    name: str
    permissions: tuple[str, str]
    severity: str = "high"


def _read(path: Path | None, shown: str) -> tuple[dict[str, Any], Lines | None]:
    """The rules file's data, and its lines, to find each [[sod]] table's (none for the
    wheel's JSON twin of the shipped rules, which hatch_build.py wrote from valid TOML:
    reading it, a write that warns of pairs never imports a TOML parser)."""
    if path is None and BUILT_RULES_FILE.is_file():
        import json

        data: dict[str, Any] = json.loads(BUILT_RULES_FILE.read_bytes())
        return data, None
    raw = tomlfile.read(path or RULES_FILE, shown, limit=MAX_RULES_BYTES, what="a rules file")
    text = tomlfile.text(raw, shown)
    return tomlfile.parse(text, shown), Lines(text)


def load_rules(path: Path | None = None) -> list[SodRule]:
    """The rules file given (--rules), else the shipped defaults; any fault is Invalid
    naming the file and the line."""
    shown = str(path) if path else _("the shipped rules")
    data, lines = _read(path, shown)
    unknown = sorted(set(data) - {"version", "sod"})
    if unknown:
        raise Invalid(
            _("%(where)s: unknown key %(key)s") % {"where": shown, "key": quoted(unknown[0])},
            hint=_("a rules file holds [[sod]] tables"),
        )
    tables = data.get("sod", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise Invalid(_("%(where)s: `sod` must be written as [[sod]] tables") % {"where": shown})
    rules: list[SodRule] = []
    cat = catalog()
    for index, table in enumerate(tables):
        line = lines.array_table("sod", index, len(tables)) if lines else 0
        names: dict[str, object] = {"where": at_line(shown, line)}
        extra = sorted(set(table) - {"name", "permissions", "severity"})
        if extra:
            raise Invalid(
                _("%(where)s: [[sod]]: unknown key %(key)s") % (names | {"key": quoted(extra[0])})
            )
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid(_("%(where)s: [[sod]]: `name` is missing or not a string") % names)
        names["rule"] = quoted(name)
        refs = table.get("permissions")
        if (
            not isinstance(refs, list)
            or len(refs) != 2
            or not all(isinstance(r, str) for r in refs)
        ):
            raise Invalid(_("%(where)s: [[sod]] %(rule)s: `permissions` must be a pair") % names)
        try:
            first, second = (cat.resolve_delegable(r).id for r in refs)
        except Invalid as exc:
            raise Invalid(
                f"{names['where']}: [[sod]] {names['rule']}: {shown_text(exc.message)}",
                hint=exc.hint,
            ) from exc
        if first == second:
            raise Invalid(
                _("%(where)s: [[sod]] %(rule)s: the pair names %(id)s twice")
                % (names | {"id": first})
            )
        severity = table.get("severity", "high")
        if severity not in SEVERITIES:
            raise Invalid(
                _("%(where)s: [[sod]] %(rule)s: severity %(severity)s is not high, medium or low")
                % (names | {"severity": quoted(str(severity))})
            )
        rules.append(SodRule(name.strip(), (first, second), severity))
    return rules


@cache
def holds(granted: frozenset[str]) -> frozenset[str]:
    """What an active holder of a profile granting GRANTED may do, by the one decision
    function (so owner-only ids never count, whatever a profile row says)."""
    standing = Standing("", "-", status="active", granted=granted)
    return frozenset(p.id for p in catalog().permissions if decide(standing, p)[0])


def conflicts(held: frozenset[str], rules: list[SodRule]) -> list[SodRule]:
    """The separation-of-duties rules whose both permissions HELD includes."""
    return [rule for rule in rules if rule.permissions[0] in held and rule.permissions[1] in held]


def forbidden_pairs(ids: Iterable[str], rules: list[SodRule] | None = None) -> list[SodRule]:
    """The separation-of-duties rules (RULES, else the shipped ones) that whoever holds a
    profile granting IDS would break: what `profile create` and `profile edit` warn of."""
    return conflicts(holds(frozenset(ids)), load_rules() if rules is None else rules)
