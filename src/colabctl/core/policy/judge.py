"""Judging a check or an only case from one session: the answers `can` and `matrix`
give (docs/policy-tests.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from colabctl.core import access
from colabctl.core.access import Standing, decide, may_ask
from colabctl.core.catalog import Permission
from colabctl.core.identity import email_key
from colabctl.core.policy.testfile import Case
from colabctl.core.session import Session
from colabctl.i18n import Text

if TYPE_CHECKING:
    from colabctl.core import shapes


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


def verdict(allowed: bool, reason: str) -> str:
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
        else [Miss(case.user, case.permission.id, case.expected, verdict(allowed, reason))]
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
        return Result(case, False, reason="unknown-account", misses=[unknown(case)])
    misses = []
    for st in people:
        allowed, reason = decide(st, case.permission)
        if allowed and not _holds_as(st, case.holders, reason):
            misses.append(Miss(st.user, case.permission.id, case.expected, verdict(True, reason)))
    return Result(case, not misses, misses=misses)


def unknown(case: Case) -> Miss:
    """The miss of a case about an account that does not exist, or that the actor cannot
    read: the two look alike."""
    return Miss(
        case.user, case.permission.id if case.permission else None, case.expected, "unknown-account"
    )
