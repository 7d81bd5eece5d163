"""What a policy test file says: its cases, read and checked (docs/policy-tests.md).

A file is refused whole (exit 6) at its first fault, named by file, line and table:
tomllib gives no lines, so they are found in the text (core/tomllines.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colabctl.core import tomlfile
from colabctl.core.catalog import Permission, catalog
from colabctl.core.names import at_line, quoted, validate_slug
from colabctl.core.tomllines import Lines
from colabctl.errors import Invalid
from colabctl.i18n import NC_, Text, Word, _
from colabctl.i18n import shown as shown_text

KINDS = ("check", "only", "matrix")
# What an allow or deny case expects, as a person reads it (JSON keeps the value).
VERDICTS = (NC_("verdict", "allowed"), NC_("verdict", "denied"))
MAX_TEST_FILE_BYTES = tomlfile.TEST_FILE_LIMIT


@dataclass(frozen=True)
class Case:
    """One assertion, one test case: an allow, a deny, an only or a matrix."""

    file: str  # as the user named it
    line: int  # of the [[check]] / [[only]] / [[matrix]] header
    kind: str  # allow | deny | only | matrix
    account: str
    permission: Permission | None = None  # allow, deny, only
    user: str | None = None  # allow, deny
    holders: tuple[str, ...] = ()  # only: "owner", "profile:NAME" or emails
    snapshot: Path | None = None  # matrix: the file
    snapshot_shown: str = ""  # matrix: the file as the user sees it (beside the test file)

    @property
    def name(self) -> str:
        """The test case's name (JUnit): what it asserts, in a few words."""
        if self.kind in ("allow", "deny"):
            assert self.permission is not None
            return f"{self.kind} {self.user} {self.permission.id} in {self.account}"
        if self.kind == "only":
            assert self.permission is not None
            return f"only {', '.join(self.holders) or 'nobody'} hold {self.permission.id}"
        return f"matrix of {self.account} = {self.snapshot_shown}"

    @property
    def expected(self) -> str:
        """What the case asks, in words: a Text (English in JSON and JUnit XML)."""
        if self.kind in ("allow", "deny"):
            return Word("verdict", "allowed" if self.kind == "allow" else "denied")
        if self.kind == "only":
            if not self.holders:
                return Text("held only by nobody")
            return Text("held only by %(holders)s", holders=", ".join(self.holders))
        return Text("as in %(file)s", file=self.snapshot_shown)


@dataclass
class TestFile:
    path: Path
    shown: str  # the path as the user wrote it (or DIR/NAME)
    team: Path | None  # the file's own `team = ...`, resolved against its folder
    cases: list[Case]


def _text_of(path: Path, shown: str) -> str:
    raw = tomlfile.read(path, shown, limit=MAX_TEST_FILE_BYTES, what="a test file")
    return tomlfile.text(raw, shown)


def is_test_data(data: dict[str, Any]) -> bool:
    return any(kind in data for kind in KINDS)


def collect(paths: Sequence[str]) -> tuple[list[TestFile], list[str]]:
    """The test files named (a folder: every *.toml in it holding check, only or matrix
    tables), parsed and checked; and notes on the files skipped."""
    found: list[TestFile] = []
    notes: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            tests = 0
            for member in sorted(path.glob("*.toml")):
                shown = str(Path(given) / member.name)
                text = _text_of(member, shown)
                data = tomlfile.parse(text, shown)
                if not is_test_data(data):
                    if "accounts" not in data:  # a team file beside the tests goes unsaid
                        notes.append(
                            Text(
                                "skipped %(file)s: no [[check]], [[only]] or [[matrix]]", file=shown
                            )
                        )
                    continue
                found.append(_parse(member, shown, text, data))
                tests += 1
            if not tests:
                raise Invalid(
                    _(
                        "%(folder)s: no test files in it (*.toml with [[check]], [[only]] or"
                        " [[matrix]])"
                    )
                    % {"folder": given}
                )
            continue
        if not path.exists():
            raise Invalid(_("%(file)s: no such file or folder") % {"file": given})
        text = _text_of(path, given)
        data = tomlfile.parse(text, given)
        if not is_test_data(data):
            hint = (
                _("that is a team file: pass it with --team, or name it in a test file's `team`")
                if "accounts" in data
                else _("see docs/policy-tests.md")
            )
            raise Invalid(
                _("%(file)s: not a test file (no [[check]], [[only]] or [[matrix]])")
                % {"file": given},
                hint=hint,
            )
        found.append(_parse(path, given, text, data))
    return found, notes


# -- checking a file ------------------------------------------------------------------

_KEYS = {
    "check": {"account", "user", "allow", "deny"},
    "only": {"account", "permission", "holders"},
    "matrix": {"account", "file"},
}
_HOLDER = re.compile(r"owner|profile:[a-z][a-z0-9-]{1,39}", re.ASCII)


def _parse(path: Path, shown: str, text: str, data: dict[str, Any]) -> TestFile:
    """DATA, the parsed TEXT of the test file at PATH (SHOWN as the user named it), as
    its cases; any fault is Invalid naming the file and the line."""
    lines = Lines(text)
    unknown = sorted(set(data) - {"team", *KINDS})
    if unknown:
        where = at_line(shown, lines.key_or_table(unknown[0]))
        raise Invalid(
            _("%(where)s: unknown key %(key)s") % {"where": where, "key": quoted(unknown[0])},
            hint=_("a test file holds `team`, [[check]], [[only]] and [[matrix]]"),
        )
    team: Path | None = None
    if "team" in data:
        if not isinstance(data["team"], str) or not data["team"].strip():
            raise Invalid(
                _("%(where)s: `team` must be a path (a string)")
                % {"where": at_line(shown, lines.key("team"))}
            )
        team = path.parent / data["team"]
    cases: list[Case] = []
    for kind in KINDS:
        tables = data.get(kind, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise Invalid(
                _("%(where)s: `%(kind)s` must be written as [[%(kind)s]] tables")
                % {"where": at_line(shown, lines.key(kind)), "kind": kind}
            )
        for index, table in enumerate(tables):
            start = lines.array_table(kind, index, len(tables))
            cases += _Table(path, shown, lines, kind, table, start).cases()
    return TestFile(path, shown, team, cases)


class _Table:
    """One [[check]], [[only]] or [[matrix]] table (at line START), read into its cases.
    A fault names the file, the line of the key at fault (else the table's) and the
    table."""

    def __init__(
        self, path: Path, shown: str, lines: Lines, kind: str, table: dict[str, Any], start: int
    ) -> None:
        self.path, self.shown, self.lines = path, shown, lines
        self.kind, self.table, self.start = kind, table, start
        self.end = lines.end_of(start) if start else len(lines)

    def line(self, key: str | None = None, value: str | None = None) -> int:
        """The line of KEY (holding VALUE) in this table, else the table's own."""
        if not key or not self.start:
            return self.start
        return self.lines.key(key, value, start=self.start, end=self.end) or self.start

    def fault(self, message: str, key: str | None = None, value: str | None = None) -> Invalid:
        where = at_line(self.shown, self.line(key, value))
        return Invalid(f"{where}: [[{self.kind}]]: {shown_text(message)}")

    def cases(self) -> list[Case]:
        allowed = _KEYS[self.kind]
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise self.fault(
                _("unknown key %(key)s (expected %(keys)s)")
                % {"key": quoted(extra[0]), "keys": ", ".join(sorted(allowed))},
                extra[0],
            )
        account = self.table.get("account")
        if not isinstance(account, str):
            raise self.fault(_("`account` (a slug) is missing or not a string"), "account")
        try:
            validate_slug(account)
        except Invalid as exc:
            raise self.fault(exc.message, "account") from exc
        if self.kind == "check":
            return self.checks(account)
        if self.kind == "only":
            return [self.only(account)]
        return [self.matrix(account)]

    def permission(self, ref: Any, key: str) -> Permission:
        if not isinstance(ref, str):
            raise self.fault(
                _("`%(key)s` must hold permission ids or labels (strings)") % {"key": key}, key
            )
        try:
            return catalog().resolve(ref)
        except Invalid as exc:
            where = at_line(self.shown, self.line(key, ref))
            raise Invalid(f"{where}: {shown_text(exc.message)}", hint=exc.hint) from exc

    def checks(self, account: str) -> list[Case]:
        """An allow case per permission in `allow`, a deny case per one in `deny`."""
        user = self.table.get("user")
        if not isinstance(user, str) or not user.strip():
            raise self.fault(_("`user` (an email) is missing or not a string"), "user")
        if "allow" not in self.table and "deny" not in self.table:
            raise self.fault(_("give `allow`, `deny` or both (lists of permissions)"))
        found = []
        for verdict in ("allow", "deny"):
            refs = self.table.get(verdict, [])
            if not isinstance(refs, list):
                raise self.fault(
                    _("`%(key)s` must be a list of permissions") % {"key": verdict}, verdict
                )
            for ref in refs:
                perm = self.permission(ref, verdict)
                found.append(Case(self.shown, self.start, verdict, account, perm, user.strip()))
        return found

    def only(self, account: str) -> Case:
        perm = self.permission(self.table.get("permission"), "permission")
        holders = self.table.get("holders")
        if not isinstance(holders, list) or not all(isinstance(h, str) for h in holders):
            raise self.fault(_("`holders` must be a list of roles and emails"), "holders")
        for holder in holders:
            if not (_HOLDER.fullmatch(holder) or "@" in holder):
                raise self.fault(
                    _("holder %(holder)s is not `owner`, `profile:NAME` or an email")
                    % {"holder": quoted(holder)},
                    "holders",
                    holder,
                )
        return Case(self.shown, self.start, "only", account, perm, holders=tuple(holders))

    def matrix(self, account: str) -> Case:
        name = self.table.get("file")
        if not isinstance(name, str) or not name.strip():
            raise self.fault(_("`file` (the snapshot's path) is missing or not a string"), "file")
        name = name.strip()
        return Case(
            self.shown,
            self.start,
            "matrix",
            account,
            snapshot=self.path.parent / name,
            snapshot_shown=str(Path(self.shown).parent / name),
        )
