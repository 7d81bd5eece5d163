"""Policy tests: `colabctl test` (docs/policy-tests.md).

A test file states what must (and must never) be true of an account: `[[check]]`
(this person can / cannot do this), `[[only]]` (nobody outside these holders holds
this permission) and `[[matrix]]` (a golden snapshot of who can do what). Each
allow, each deny, each only and each matrix is one test case.

Every answer comes from `access.decide` over `access.standing_of` / `access.standings`:
the same standings and the same decision `can` uses, so a test and `can --batch` can
never disagree. The world judged is either the live store (one read transaction, as
the actor, who sees only what `can` and `matrix` would show them) or a scratch store
built from a team file alone (see `scratch_store`).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colabctl.core import access, tomlfile
from colabctl.core.access import Standing, decide, held_permissions, may_ask
from colabctl.core.catalog import Permission, catalog
from colabctl.core.files import write_file
from colabctl.core.identity import email_key
from colabctl.core.names import at_line, quoted, validate_slug
from colabctl.core.session import Context, Session, reading
from colabctl.errors import Invalid
from colabctl.i18n import NC_, Text, Word, _
from colabctl.i18n import shown as shown_text

if TYPE_CHECKING:
    from colabctl.core import shapes

KINDS = ("check", "only", "matrix")
# What an allow or deny case expects, as a person reads it (JSON keeps the value).
VERDICTS = (NC_("verdict", "allowed"), NC_("verdict", "denied"))
MAX_TEST_FILE_BYTES = tomlfile.TEST_FILE_LIMIT

# -- what a test file says ------------------------------------------------------------


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


# -- lines: tomllib gives none, so the headers are found in the text ----------------

_HEADER = re.compile(r"\s*\[\[\s*(check|only|matrix)\s*\]\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"\s*\[")


class _Lines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {kind: [] for kind in KINDS}
        for number, line in enumerate(self.lines, 1):
            match = _HEADER.match(line)
            if match:
                self.headers[match[1]].append(number)

    def header(self, kind: str, index: int, count: int) -> int:
        """The line of the INDEXth [[KIND]] header (0 when the text does not say)."""
        found = self.headers[kind]
        if len(found) == count:
            return found[index]
        # written as `check = [{...}]`: the line of that key
        return self.key(1, len(self.lines), kind) or 0

    def key(self, start: int, end: int, key: str, value: str | None = None) -> int:
        """The line in [start, end] of `key = ...` (or, given VALUE, of the first line from
        there that holds it as a quoted string); 0 when it cannot be told."""
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        at = next(
            (n for n in range(start, end + 1) if pattern.match(self.lines[n - 1])),
            None,
        )
        if at is None:
            return 0
        if value is None:
            return at
        quoted_forms = (json.dumps(value, ensure_ascii=False), f"'{value}'")
        for number in range(at, end + 1):
            if any(q in self.lines[number - 1] for q in quoted_forms):
                return number
        return at

    def end_of(self, start: int) -> int:
        """The last line of the table whose header is at START."""
        for number in range(start + 1, len(self.lines) + 1):
            if _ANY_HEADER.match(self.lines[number - 1]):
                return number - 1
        return len(self.lines)


def _where(shown: str, line: int | None) -> str:
    return at_line(shown, line)


_CHECK_KEYS = {"account", "user", "allow", "deny"}
_ONLY_KEYS = {"account", "permission", "holders"}
_MATRIX_KEYS = {"account", "file"}
_HOLDER = re.compile(r"owner|profile:[a-z][a-z0-9-]{1,39}", re.ASCII)


def _parse(path: Path, shown: str, text: str, data: dict[str, Any]) -> TestFile:
    lines = _Lines(text)
    unknown = sorted(set(data) - {"team", *KINDS})
    if unknown:
        line = lines.key(1, len(lines.lines), unknown[0]) or next(
            (n for n, t in enumerate(lines.lines, 1) if unknown[0] in t), 0
        )
        raise Invalid(
            _("%(where)s: unknown key %(key)s")
            % {"where": _where(shown, line), "key": quoted(unknown[0])},
            hint=_("a test file holds `team`, [[check]], [[only]] and [[matrix]]"),
        )
    team: Path | None = None
    if "team" in data:
        if not isinstance(data["team"], str) or not data["team"].strip():
            line = lines.key(1, len(lines.lines), "team")
            raise Invalid(
                _("%(where)s: `team` must be a path (a string)") % {"where": _where(shown, line)}
            )
        team = path.parent / data["team"]
    cases: list[Case] = []
    cat = catalog()
    for kind in KINDS:
        tables = data.get(kind, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            line = lines.key(1, len(lines.lines), kind)
            raise Invalid(
                _("%(where)s: `%(kind)s` must be written as [[%(kind)s]] tables")
                % {"where": _where(shown, line), "kind": kind}
            )
        for index, table in enumerate(tables):
            start = lines.header(kind, index, len(tables))
            end = lines.end_of(start) if start else len(lines.lines)

            def fault(message: str, key: str | None = None, value: str | None = None) -> Invalid:
                line = lines.key(start, end, key, value) if key and start else start  # noqa: B023
                return Invalid(f"{_where(shown, line or start)}: [[{kind}]]: {shown_text(message)}")  # noqa: B023

            allowed_keys = {"check": _CHECK_KEYS, "only": _ONLY_KEYS, "matrix": _MATRIX_KEYS}[kind]
            extra = sorted(set(table) - allowed_keys)
            if extra:
                raise fault(
                    _("unknown key %(key)s (expected %(keys)s)")
                    % {"key": quoted(extra[0]), "keys": ", ".join(sorted(allowed_keys))},
                    extra[0],
                )
            account = table.get("account")
            if not isinstance(account, str):
                raise fault(_("`account` (a slug) is missing or not a string"), "account")
            try:
                validate_slug(account)
            except Invalid as exc:
                raise fault(exc.message, "account") from exc

            def permission(ref: Any, key: str) -> Permission:
                if not isinstance(ref, str):
                    raise fault(
                        _("`%(key)s` must hold permission ids or labels (strings)") % {"key": key},
                        key,
                    )
                try:
                    return cat.resolve(ref)
                except Invalid as exc:
                    line = lines.key(start, end, key, ref) if start else 0  # noqa: B023
                    raise Invalid(
                        f"{_where(shown, line or start)}: {shown_text(exc.message)}",  # noqa: B023
                        hint=exc.hint,
                    ) from exc

            if kind == "check":
                user = table.get("user")
                if not isinstance(user, str) or not user.strip():
                    raise fault(_("`user` (an email) is missing or not a string"), "user")
                if "allow" not in table and "deny" not in table:
                    raise fault(_("give `allow`, `deny` or both (lists of permissions)"))
                for verdict in ("allow", "deny"):
                    refs = table.get(verdict, [])
                    if not isinstance(refs, list):
                        raise fault(
                            _("`%(key)s` must be a list of permissions") % {"key": verdict}, verdict
                        )
                    for ref in refs:
                        perm = permission(ref, verdict)
                        cases.append(Case(shown, start, verdict, account, perm, user.strip()))
            elif kind == "only":
                perm = permission(table.get("permission"), "permission")
                holders = table.get("holders")
                if not isinstance(holders, list) or not all(isinstance(h, str) for h in holders):
                    raise fault(_("`holders` must be a list of roles and emails"), "holders")
                for holder in holders:
                    if not (_HOLDER.fullmatch(holder) or "@" in holder):
                        raise fault(
                            _("holder %(holder)s is not `owner`, `profile:NAME` or an email")
                            % {"holder": quoted(holder)},
                            "holders",
                            holder,
                        )
                cases.append(Case(shown, start, "only", account, perm, holders=tuple(holders)))
            else:
                name = table.get("file")
                if not isinstance(name, str) or not name.strip():
                    raise fault(
                        _("`file` (the snapshot's path) is missing or not a string"), "file"
                    )
                name = name.strip()
                cases.append(
                    Case(
                        shown,
                        start,
                        "matrix",
                        account,
                        snapshot=path.parent / name,
                        snapshot_shown=str(Path(shown).parent / name),
                    )
                )
    return TestFile(path, shown, team, cases)


# -- judging ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Miss:
    """One line of a failure: who, which permission, what was expected, what is."""

    user: str | None
    permission: str | None
    expected: str
    actual: str

    def as_json(self) -> shapes.Failure:
        return {
            "user": self.user,
            "permission": self.permission,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass
class Result:
    case: Case
    passed: bool
    allowed: bool | None = None  # allow / deny: the answer
    reason: str | None = None  # allow / deny: decide's reason; unknown-account for any kind
    misses: list[Miss] = field(default_factory=list)

    def as_json(self) -> shapes.CaseResult:
        case = self.case
        keys: shapes.CaseCommon = {
            "kind": case.kind,
            "line": case.line,
            "account": case.account,
            "user": case.user,
            "permission": case.permission.id if case.permission else None,
            "expected": case.expected,
            "passed": self.passed,
            "allowed": self.allowed,
            "reason": self.reason,
        }
        kinds: shapes.CaseKinds = {}
        if case.kind == "only":
            kinds["holders"] = list(case.holders)
        if case.kind == "matrix":
            kinds["file"] = str(case.snapshot)
        return {**keys, **kinds, "failures": [m.as_json() for m in self.misses]}


class Judge:
    """Answers from one session. ACTOR None: a scratch store, where everything is visible;
    else the live store as the actor sees it: `can`'s rule for a check (the owner, active
    collaborators, anyone about themself), `matrix`'s for only and matrix (who may read)."""

    def __init__(self, s: Session, actor: str | None) -> None:
        self.s = s
        self.actor = actor
        self._standings: dict[tuple[str, str], Standing] = {}
        self._people: dict[str, list[Standing] | None] = {}

    def standing(self, slug: str, email: str) -> Standing:
        key = (email_key(email), slug)
        found = self._standings.get(key)
        if found is None:
            found = self._standings[key] = access.standing_of(self.s, slug, email)
        return found

    def answer(self, slug: str, email: str, perm: Permission) -> tuple[bool, str]:
        st = self.standing(slug, email)
        if (
            st.account is not None
            and self.actor is not None
            and not may_ask(self.standing(slug, self.actor), email)
        ):
            st = Standing(email, None)  # an outsider: the missing account's answer
        return decide(st, perm)

    def people(self, slug: str) -> list[Standing] | None:
        """Everyone's standing in the account (owner first); None if it cannot be read."""
        if slug not in self._people:
            acct = self.s.account_by_slug(slug)
            visible = acct is not None and (
                self.actor is None or self.standing(slug, self.actor).role is not None
            )
            self._people[slug] = access.standings(self.s, acct) if acct and visible else None
        return self._people[slug]


UNKNOWN = Miss(None, None, "", "unknown-account")


def _verdict(allowed: bool, reason: str) -> str:
    """An answer in words (a Text: English in JSON); REASON is decide's, an id."""
    if allowed:
        return Text("allowed (%(reason)s)", reason=reason)
    return Text("denied (%(reason)s)", reason=reason)


def judge_check(j: Judge, case: Case) -> Result:
    assert case.permission is not None and case.user is not None
    allowed, reason = j.answer(case.account, case.user, case.permission)
    # An unknown (or unreadable) account fails every assertion, a deny too: a typo in a
    # slug never passes, and an outsider learns nothing from which cases pass.
    passed = reason != "unknown-account" and allowed == (case.kind == "allow")
    misses = (
        []
        if passed
        else [Miss(case.user, case.permission.id, case.expected, _verdict(allowed, reason))]
    )
    return Result(case, passed, allowed, reason, misses)


def _holds_as(st: Standing, holders: tuple[str, ...], reason: str) -> bool:
    """Whether ST, allowed with REASON, is one of HOLDERS: the role decide names (`owner`,
    `profile:NAME`) or the person's email."""
    key = email_key(st.user)
    return any(h == reason or ("@" in h and email_key(h) == key) for h in holders)


def judge_only(j: Judge, case: Case) -> Result:
    assert case.permission is not None
    people = j.people(case.account)
    if people is None:
        return Result(case, False, reason="unknown-account", misses=[_unknown(case)])
    misses = []
    for st in people:
        allowed, reason = decide(st, case.permission)
        if allowed and not _holds_as(st, case.holders, reason):
            misses.append(Miss(st.user, case.permission.id, case.expected, _verdict(True, reason)))
    return Result(case, not misses, misses=misses)


def _unknown(case: Case) -> Miss:
    return Miss(
        case.user, case.permission.id if case.permission else None, case.expected, "unknown-account"
    )


# -- matrix snapshots --------------------------------------------------------------------


def grid(people: list[Standing]) -> dict[str, Any]:
    """Who holds what: everyone holding at least one permission (the owner and active
    collaborators), by email, with their role and what decide allows them."""
    held: dict[str, Any] = {}
    for st in people:
        perms = held_permissions(st)
        if perms:
            held[st.user] = {
                "role": "owner" if st.owner else st.profile,
                "permissions": [p.id for p in perms],
            }
    return dict(sorted(held.items(), key=lambda item: email_key(item[0])))


def snapshot_text(account: str, people: list[Standing]) -> str:
    return (
        json.dumps({"account": account, "holders": grid(people)}, indent=2, ensure_ascii=False)
        + "\n"
    )


def read_snapshot(path: Path, shown: str) -> dict[str, Any] | None:
    """The snapshot's holders; None when there is no snapshot yet."""
    if not path.exists():
        return None
    raw = tomlfile.read(path, shown, limit=MAX_TEST_FILE_BYTES, what="a matrix snapshot")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid(_("%(file)s: not UTF-8 text") % {"file": shown}) from exc
    except json.JSONDecodeError as exc:
        raise Invalid(
            _("%(where)s: malformed JSON (the parser says: %(reason)s)")
            % {"where": _where(shown, exc.lineno), "reason": exc.msg}
        ) from exc
    holders = data.get("holders") if isinstance(data, dict) else None
    if not isinstance(holders, dict) or not all(
        isinstance(v, dict)
        and isinstance(v.get("permissions"), list)
        and all(isinstance(p, str) for p in v["permissions"])
        and (v.get("role") is None or isinstance(v.get("role"), str))
        for v in holders.values()
    ):
        raise Invalid(
            _("%(file)s: not a matrix snapshot (%(shape)s)")
            % {"file": shown, "shape": '{"account", "holders": {email: {"role", "permissions"}}}'},
            hint=_("rewrite it with `colabctl test --update`"),
        )
    return holders


def diff(
    old: dict[str, Any], new: dict[str, Any], people: list[Standing], shown: str
) -> list[Miss]:
    """What changed since the snapshot, one line per (person, permission) and per role:
    the actual side is decide's answer for that person now."""
    by_key = {email_key(st.user): st for st in people}
    before = {email_key(k): (k, v) for k, v in old.items()}
    after = {email_key(k): (k, v) for k, v in new.items()}
    cat = catalog()
    misses: list[Miss] = []
    for key in sorted(set(before) | set(after)):
        email = (after.get(key) or before[key])[0]
        was = before.get(key, (email, {"role": None, "permissions": []}))[1]
        now = after.get(key, (email, {"role": None, "permissions": []}))[1]
        st = by_key.get(key, Standing(email, "", status=None))
        if was.get("role") != now.get("role") and was.get("role") and now.get("role"):
            misses.append(
                Miss(
                    email,
                    None,
                    Text("role %(role)s (%(file)s)", role=was["role"], file=shown),
                    Text("role %(role)s", role=now["role"]),
                )
            )
        gained = set(now["permissions"]) - set(was["permissions"])
        lost = set(was["permissions"]) - set(now["permissions"])
        for perm_id in cat.ordered(gained | lost):
            perm = cat.by_id.get(perm_id)
            actual = _verdict(*decide(st, perm)) if perm else Text("denied (not in the catalog)")
            expected = _verdict(perm_id not in gained, shown)
            misses.append(Miss(email, perm_id, expected, actual))
    return misses


def judge_matrix(j: Judge, case: Case, *, update: bool, notes: list[str]) -> Result:
    assert case.snapshot is not None
    shown = _shown_snapshot(case)
    people = j.people(case.account)
    if people is None:
        return Result(case, False, reason="unknown-account", misses=[_unknown(case)])
    new = grid(people)
    old = read_snapshot(case.snapshot, shown)
    if update:
        if old != new:
            write_file(
                case.snapshot,
                snapshot_text(case.account, people).encode("utf-8"),
                store=j.s.ctx.store_file(),
            )
            notes.append(Text("wrote %(file)s", file=shown))
        return Result(case, True)
    if old is None:
        miss = Miss(
            None,
            None,
            Text("a snapshot in %(file)s", file=shown),
            Text("no such file (write it: --update)"),
        )
        return Result(case, False, misses=[miss])
    misses = diff(old, new, people, shown)
    return Result(case, not misses, misses=misses)


def _shown_snapshot(case: Case) -> str:
    return case.snapshot_shown


# -- a whole run -------------------------------------------------------------------------


@dataclass
class Coverage:
    named: list[str]  # delegable ids some assertion names, catalog order
    uncovered: list[str]
    minimum: float | None

    @property
    def percent(self) -> float:
        total = len(self.named) + len(self.uncovered)
        return 100.0 * len(self.named) / total if total else 100.0

    @property
    def below(self) -> bool:
        return self.minimum is not None and self.percent < self.minimum

    def as_json(self) -> shapes.Coverage:
        return {
            "percent": round(self.percent, 1),
            "minimum": self.minimum,
            "named": self.named,
            "uncovered": self.uncovered,
        }


@dataclass
class FileReport:
    shown: str
    team: str | None
    results: list[Result]

    def as_json(self) -> shapes.PolicyFile:
        return {"file": self.shown, "team": self.team, "cases": [r.as_json() for r in self.results]}


@dataclass
class Report:
    files: list[FileReport]
    coverage: Coverage
    notes: list[str]

    @property
    def passed(self) -> int:
        return sum(r.passed for f in self.files for r in f.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for f in self.files for r in f.results)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.coverage.below

    def as_json(self) -> shapes.PolicyRun:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "coverage": self.coverage.as_json(),
            "files": [f.as_json() for f in self.files],
            "notes": self.notes,
        }


def coverage(files: list[TestFile], minimum: float | None) -> Coverage:
    named = {
        c.permission.id
        for f in files
        for c in f.cases
        if c.permission is not None and c.kind in ("allow", "deny", "only")
    }
    delegable = [p.id for p in catalog().delegable]
    return Coverage(
        [i for i in delegable if i in named], [i for i in delegable if i not in named], minimum
    )


def judge_file(j: Judge, test: TestFile, *, update: bool, notes: list[str]) -> list[Result]:
    results = []
    for case in test.cases:
        if case.kind in ("allow", "deny"):
            results.append(judge_check(j, case))
        elif case.kind == "only":
            results.append(judge_only(j, case))
        else:
            results.append(judge_matrix(j, case, update=update, notes=notes))
    return results


def run(
    ctx: Context,
    paths: Sequence[str],
    *,
    team: str | None = None,
    update: bool = False,
    min_coverage: float | None = None,
) -> Report:
    """Collect the test files, then judge each against its world: its own team file,
    else --team, else the live store (one read transaction, as the actor)."""
    if min_coverage is not None and not 0 <= min_coverage <= 100:
        raise Invalid(_("--min-coverage is a percentage, from 0 to 100"))
    files, notes = collect(paths)
    default_team = Path(team) if team else None
    by_world: dict[Path | None, list[TestFile]] = {}
    for test in files:
        by_world.setdefault(test.team or default_team, []).append(test)
    judged: dict[str, list[Result]] = {}
    for team_path, members in by_world.items():
        with _world(ctx, team_path) as judge:
            for test in members:
                judged[test.shown] = judge_file(judge, test, update=update, notes=notes)
    reports = [
        FileReport(
            t.shown,
            str(t.team or default_team) if (t.team or default_team) else None,
            judged[t.shown],
        )
        for t in files
    ]
    return Report(reports, coverage(files, min_coverage), notes)


@contextmanager
def _world(ctx: Context, team_path: Path | None) -> Iterator[Judge]:
    if team_path is None:
        with reading(ctx) as s:
            # no actor at all: 5; a stranger (no registered user) is judged as one, and
            # every account then answers as a missing one (docs/commands.md)
            me = s.known_actor()
            yield Judge(s, me.email if me is not None else str(ctx.actor_email()))
        return
    with scratch_store(ctx, team_path) as s:
        yield Judge(s, None)


@contextmanager
def scratch_store(ctx: Context, team_path: Path) -> Iterator[Session]:
    """A temporary store built from the team file alone, never the user's store: each
    account owned by its `owner` (else the actor), its declared profiles, and every
    declared collaborator active. The file is read and validated by the team-file
    loader (core/team/file.py) and written by the mutations' in-transaction forms."""
    import shutil
    from datetime import datetime

    from colabctl.core import accounts, collaborators, profiles
    from colabctl.core.identity import normalize_email
    from colabctl.core.session import Session as _Session
    from colabctl.core.team.file import read_team_file
    from colabctl.core.users import register_in
    from colabctl.store.db import open_for_write

    shown = str(team_path)
    team = read_team_file(shown)
    actor = ctx.actor_email()
    folder = Path(tempfile.mkdtemp(prefix="colabctl-test-"))
    try:
        path = folder / "scratch.db"
        store = open_for_write(path)
        try:
            with store.transaction():
                for spec in team.accounts:
                    if spec.owner is None and not actor:
                        raise Invalid(
                            _(
                                "%(where)s: accounts.%(account)s names no `owner`, and there is"
                                " no user to own it"
                            )
                            % {"where": team.where(spec.path), "account": spec.slug},
                            hint=_("add `owner = EMAIL` to the account, or pass --as EMAIL"),
                        )
                    owner = spec.owner or normalize_email(actor or "")
                    s = _Session(Context(str(path), owner, ctx.clock), store, writable=True)
                    register_in(s, owner, None)
                    accounts.create_in(s, spec.slug, spec.name or spec.slug, spec.tax)
                    acct = s.get_account(spec.slug)
                    declared = spec.profiles or {}
                    profiles.create_many_in(
                        s,
                        acct,
                        [
                            profiles.NewProfile(p.name, list(p.permissions), p.description, p.title)
                            for p in declared.values()
                        ],
                    )
                    members = list((spec.collaborators or {}).values())
                    for member in members:
                        where = team.where(member.path)
                        if member.profile not in declared:
                            names = {
                                "where": where,
                                "profile": quoted(member.profile),
                                "account": spec.slug,
                                "table": f"[accounts.{spec.slug}.profiles.NAME]",
                            }
                            raise Invalid(
                                _(
                                    "%(where)s: profile %(profile)s is not declared in"
                                    " accounts.%(account)s.profiles (the tests judge the file"
                                    " alone)"
                                )
                                % names,
                                hint=_("declare it under %(table)s") % names,
                            )
                        if email_key(member.email) == email_key(owner):
                            raise Invalid(
                                _("%(where)s: %(email)s owns %(account)s")
                                % {"where": where, "email": member.email, "account": spec.slug}
                            )
                    collaborators.invite_many_in(
                        s,
                        acct,
                        [collaborators.Invitation(m.email, m.profile) for m in members],
                    )
                    # the state the file asks for: every declared collaborator has accepted
                    s.conn.execute(
                        "UPDATE memberships SET status = 'active', responded_at = ?"
                        " WHERE account_id = ? AND status = 'pending'",
                        (s.now_iso, acct.id),
                    )
                    for member in members:
                        if member.access_until is None:
                            continue
                        until = datetime.fromisoformat(member.access_until)
                        try:
                            collaborators.set_access_until_in(s, acct, member.email, until)
                        except Invalid as exc:
                            where = team.where(member.path)
                            raise Invalid(f"{where}: {shown_text(exc.message)}") from exc
            with store.snapshot():
                yield _Session(Context(str(path), actor, ctx.clock), store, writable=False)
        finally:
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
