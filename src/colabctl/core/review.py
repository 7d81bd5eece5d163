"""Access review: `colabctl review` and `review ack` (docs/review.md).

Who holds what comes from the standings and `access.decide`, exactly as `can` and
`matrix` see it; the review only asks questions of them: separation-of-duties pairs
(the rules: core/sod.py), high-risk holders, broad and unused profiles, stale and expired
invitations, access about to end.

A finding's id is a hash of its kind, account and subject (and pair), so it is the
same from run to run. An acknowledgement records the finding's *fingerprint*, the
state of its subject (the person's status, profile and that profile's permissions;
the profile's permissions; the invitation's dates): while the fingerprint is the
same, the finding stays acknowledged; when it changes, the finding is open again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from colabctl.core import access
from colabctl.core.access import Standing
from colabctl.core.catalog import catalog
from colabctl.core.clock import iso
from colabctl.core.identity import email_key
from colabctl.core.names import clean_text, quoted
from colabctl.core.session import Account, Context, Session, reading, writing
from colabctl.core.sod import SEVERITIES, SodRule, conflicts, holds, load_rules
from colabctl.errors import NotFound
from colabctl.i18n import Plural, Text, _

if TYPE_CHECKING:
    from colabctl.core import shapes

STALE_AFTER = timedelta(days=14)
ENDING_WITHIN = timedelta(days=7)
BROAD_SHARE = 0.75


# -- findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    by: str
    at: str
    reason: str

    def as_json(self) -> shapes.Ack:
        return {"by": self.by, "at": self.at, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    kind: str
    account: str
    subject: str
    message: str
    fingerprint: str  # the subject's state: an ack holds while it is the same
    ack: Ack | None = None  # acknowledged, subject unchanged since
    reopened: Ack | None = None  # acknowledged once, but the subject has changed since
    on_acceptance: bool = False  # about a pending invitee, judged as if they had accepted

    @property
    def open(self) -> bool:
        return self.ack is None

    def as_json(self) -> shapes.Finding:
        return {
            "id": self.id,
            "severity": self.severity,
            "kind": self.kind,
            "account": self.account,
            "subject": self.subject,
            "message": self.message,
            "status": "open" if self.open else "acknowledged",
            "ack": self.ack.as_json() if self.ack else None,
            "reopened": self.reopened.as_json() if self.reopened else None,
            "on_acceptance": self.on_acceptance,
        }


class Review(NamedTuple):
    """`review`'s report: its findings, most severe first."""

    findings: list[Finding]

    def as_json(self) -> shapes.Review:
        return {"findings": [f.as_json() for f in self.findings]}


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def finding_id(kind: str, account: str, subject: str, pair: tuple[str, ...] = ()) -> str:
    """Stable across runs: a hash of what the finding is about, never of its state."""
    return _digest(kind, account, email_key(subject), *pair)[:12]


def _person_state(st: Standing) -> tuple[object, ...]:
    """What a person's finding depends on: their status, profile and its permissions."""
    return (st.status, st.profile, *sorted(st.granted))


@cache
def _person_fingerprint(status: str | None, profile: str | None, granted: frozenset[str]) -> str:
    """The digest of _person_state, once per state (a plan judges thousands of holders of
    the same profile)."""
    return _digest(status, profile, *sorted(granted))


def _days(since: str, now: str) -> int:
    return (datetime.fromisoformat(now) - datetime.fromisoformat(since)).days


class Roster(NamedTuple):
    """What a review judges in one account, wherever it came from: the store now
    (`roster_of`), or the state a plan would leave (core/team/simulate.py)."""

    account: str
    people: list[Standing]  # everyone with a membership row there, the owner aside
    profiles: dict[str, frozenset[str]]  # every profile of the account: name -> ids
    acks: dict[str, tuple[str, Ack]]  # finding id -> (fingerprint, its latest ack)


class Judge:
    """Finds what a review reports in rosters (docs/review.md), at one moment, by one set
    of rules. With on_acceptance, a pending invitee counts as holding their profile,
    as the gate of `plan --fail-on` judges (docs/team-file.md): such a finding says so,
    and its id and fingerprint are the ones it has once the invitation is accepted."""

    def __init__(self, rules: list[SodRule], now: datetime, *, on_acceptance: bool = False):
        cat = catalog()
        self.rules = rules
        self.on_acceptance = on_acceptance
        self.high = [p.id for p in cat.delegable if p.risk == "high"]
        self.delegable = frozenset(p.id for p in cat.delegable)
        self.now = iso(now)
        self.stale_before = iso(now - STALE_AFTER)
        self.ending_by = iso(now + ENDING_WITHIN)

    def findings(
        self,
        roster: Roster,
        *,
        people: Iterable[Standing] | None = None,
        profiles: Iterable[str] | None = None,
    ) -> list[Finding]:
        """Every finding in ROSTER, open or acknowledged; or only those about PEOPLE and
        PROFILES (by name), still judged against the whole roster."""
        in_use = {st.profile for st in roster.people if st.status in ("pending", "active")}
        found: list[Finding] = []
        for st in roster.people if people is None else people:
            found += self._person(roster, st)
        names = roster.profiles.keys() if profiles is None else roster.profiles.keys() & profiles
        found += self._profiles(roster, in_use, names)
        return _with_acks(roster.acks, found) if roster.acks else found

    def _person(self, roster: Roster, st: Standing) -> list[Finding]:
        if st.status == "active":
            return [*self._holder(roster.account, st), *self._ending(roster.account, st)]
        if st.status == "pending":
            found = []
            if self.on_acceptance and st.profile is not None:
                granted = roster.profiles.get(st.profile, frozenset())
                accepted = st._replace(status="active", granted=granted)
                found += self._holder(roster.account, accepted, pending=True)
            if st.invited_at and st.invited_at < self.stale_before:
                found.append(self._stale(roster.account, st))
            return found
        if st.status == "expired":
            if st.profile is None:
                message = Text(
                    "%(user)s's invitation as (a deleted profile) expired on %(expires)s and"
                    " was never renewed",
                    user=st.user,
                    expires=st.expires_at,
                )
            else:
                message = Text(
                    "%(user)s's invitation as %(profile)s expired on %(expires)s and was never"
                    " renewed",
                    user=st.user,
                    profile=st.profile,
                    expires=st.expires_at,
                )
            state = (st.status, st.profile, st.invited_at, st.expires_at)
            return [_finding("expired-invitation", "low", roster.account, st.user, message, state)]
        return []

    def _holder(self, slug: str, st: Standing, *, pending: bool = False) -> list[Finding]:
        """The findings about what an active person (or a pending one, on acceptance) holds."""
        held = holds(st.granted)
        found = []
        for rule in conflicts(held, self.rules):
            first, second = rule.permissions
            said = {"user": st.user, "profile": st.profile, "first": first, "second": second}
            if pending:
                message = Text(
                    "%(user)s (%(profile)s) would hold both %(first)s and %(second)s on"
                    " acceptance (rule %(rule)s)",
                    rule=rule.name,
                    **said,
                )
            else:
                message = Text(
                    "%(user)s (%(profile)s) holds both %(first)s and %(second)s (rule %(rule)s)",
                    rule=rule.name,
                    **said,
                )
            state = _person_fingerprint(st.status, st.profile, st.granted)
            kind = "sod-conflict"
            found.append(
                _finding(
                    kind, rule.severity, slug, st.user, message, state, rule.permissions, pending
                )
            )
        risky = [i for i in self.high if i in held]
        if risky:
            said = {"user": st.user, "profile": st.profile, "ids": ", ".join(risky)}
            if pending:
                message = Plural(
                    "%(user)s (%(profile)s) would hold %(count)d high-risk permission on"
                    " acceptance: %(ids)s",
                    "%(user)s (%(profile)s) would hold %(count)d high-risk permissions on"
                    " acceptance: %(ids)s",
                    len(risky),
                    count=len(risky),
                    **said,
                )
            else:
                message = Plural(
                    "%(user)s (%(profile)s) holds %(count)d high-risk permission: %(ids)s",
                    "%(user)s (%(profile)s) holds %(count)d high-risk permissions: %(ids)s",
                    len(risky),
                    count=len(risky),
                    **said,
                )
            state = _person_fingerprint(st.status, st.profile, st.granted)
            found.append(
                _finding("high-risk-holder", "medium", slug, st.user, message, state, (), pending)
            )
        return found

    def _ending(self, slug: str, st: Standing) -> list[Finding]:
        ending = st.access_until  # an active standing's is still to come
        if ending is None or not self.now < ending <= self.ending_by:
            return []
        message = Text(
            "%(user)s's access (%(profile)s) ends at %(until)s",
            user=st.user,
            profile=st.profile,
            until=ending,
        )
        return [
            _finding("access-ending", "low", slug, st.user, message, (*_person_state(st), ending))
        ]

    def _stale(self, slug: str, st: Standing) -> Finding:
        assert st.invited_at is not None
        days = _days(st.invited_at, self.now)
        message = Plural(
            "%(user)s was invited as %(profile)s on %(invited)s and has not answered in"
            " %(days)d day",
            "%(user)s was invited as %(profile)s on %(invited)s and has not answered in"
            " %(days)d days",
            days,
            user=st.user,
            profile=st.profile,
            invited=st.invited_at,
            days=days,
        )
        state = (st.status, st.profile, st.invited_at, st.expires_at)
        return _finding("stale-invitation", "low", slug, st.user, message, state)

    def _profiles(
        self, roster: Roster, in_use: set[str | None], names: Iterable[str]
    ) -> list[Finding]:
        found = []
        total = len(self.delegable)
        for name in sorted(names):
            perms = roster.profiles[name]
            held = sorted(perms & self.delegable)
            subject = f"profile:{name}"
            if len(held) > BROAD_SHARE * total:
                share, limit = f"{100 * len(held) / total:.0f}%", f"{BROAD_SHARE:.0%}"
                message = Text(
                    "profile %(profile)s holds %(held)d of the %(total)d delegable permissions"
                    " (%(share)s, more than %(limit)s)",
                    profile=name,
                    held=len(held),
                    total=total,
                    share=share,
                    limit=limit,
                )
                found.append(
                    _finding(
                        "broad-profile", "medium", roster.account, subject, message, tuple(held)
                    )
                )
            if name not in in_use:
                message = Text("profile %(profile)s has no pending or active holder", profile=name)
                state = tuple(sorted(perms))
                found.append(
                    _finding("unused-profile", "low", roster.account, subject, message, state)
                )
        return found


def _finding(
    kind: str,
    severity: str,
    account: str,
    subject: str,
    message: str,
    state: tuple[object, ...] | str,
    pair: tuple[str, ...] = (),
    on_acceptance: bool = False,
) -> Finding:
    """A finding; STATE is what its fingerprint is the digest of (or that digest)."""
    return Finding(
        finding_id(kind, account, subject, pair),
        severity,
        kind,
        account,
        subject,
        message,
        state if isinstance(state, str) else _digest(*state),
        on_acceptance=on_acceptance,
    )


def _with_acks(acks: dict[str, tuple[str, Ack]], found: list[Finding]) -> list[Finding]:
    """Each finding with its latest acknowledgement: holding if the fingerprint is the
    same, else shown as reopened."""
    result = []
    for finding in found:
        acked = acks.get(finding.id)
        if acked is None:
            result.append(finding)
        elif acked[0] == finding.fingerprint:
            result.append(replace(finding, ack=acked[1]))
        else:
            result.append(replace(finding, reopened=acked[1]))
    return result


def roster_of(s: Session, acct: Account) -> Roster:
    """ACCT's roster as the store holds it now."""
    rows = s.conn.execute(
        "SELECT p.name, group_concat(pp.permission, ' ') FROM profiles p"
        " LEFT JOIN profile_permissions pp ON pp.profile_id = p.id"
        " WHERE p.account_id = ? GROUP BY p.id",
        (acct.id,),
    ).fetchall()
    profiles = {name: frozenset((perms or "").split()) for name, perms in rows}
    people = access.standings(s, acct)[1:]  # the owner first: never a finding's subject
    return Roster(acct.slug, people, profiles, acks_in(s, [acct.id]).get(acct.id, {}))


def acks_in(s: Session, account_ids: list[int]) -> dict[int, dict[str, tuple[str, Ack]]]:
    """The latest acknowledgement of each finding, per account, in one query."""
    import json

    found: dict[int, dict[str, tuple[str, Ack]]] = {}
    for account_id, finding, fingerprint, by, at, reason in s.conn.execute(
        "SELECT account_id, finding, fingerprint, actor, at, reason FROM review_acks"
        " WHERE account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) ORDER BY id",
        (json.dumps(account_ids),),
    ):
        found.setdefault(account_id, {})[finding] = (fingerprint, Ack(by, at, reason))
    return found


def findings_in(s: Session, acct: Account, rules: list[SodRule]) -> list[Finding]:
    """Every finding in ACCT as the store holds it now, open or acknowledged."""
    return Judge(rules, s.now).findings(roster_of(s, acct))


def by_severity(finding: Finding) -> tuple[int, str, str, str]:
    """The order findings are listed in: most severe first, then account, kind, subject."""
    return (SEVERITIES.index(finding.severity), finding.account, finding.kind, finding.subject)


def review(
    ctx: Context,
    *,
    account: str | None = None,
    all_accounts: bool = False,
    rules: Path | None = None,
) -> list[Finding]:
    """The findings of one account (or every account the actor owns), most severe first.
    The owner's alone: a collaborator gets 5, anyone else the missing account's 3."""
    sod = load_rules(rules)
    with reading(ctx) as s:
        accounts = (
            access.owned_accounts(s)
            if all_accounts
            else [access.managed(s, account, legal_entity=False)]
        )
        found = [f for acct in accounts for f in findings_in(s, acct, sod)]
    return sorted(found, key=by_severity)


def ack(
    ctx: Context,
    finding: str,
    *,
    reason: str,
    rules: Path | None = None,
    account: str | None = None,
) -> tuple[Finding, bool]:
    """Acknowledge an open finding (owner only): one review_acks row and its audit row.
    Returns the finding and whether anything was written (an acknowledged, unchanged
    finding is left as it is). Without -a, the finding is looked for in every account
    the actor owns: its id names its account."""
    why = clean_text(reason, what="reason")
    wanted = finding.strip().lower()
    sod = load_rules(rules)
    with writing(ctx) as s:
        accounts = (
            [access.managed(s, account, legal_entity=False)]
            if account
            else access.owned_accounts(s)
        )
        for acct in accounts:
            for candidate in findings_in(s, acct, sod):
                if candidate.id != wanted:
                    continue
                if candidate.ack is not None:
                    return candidate, False
                s.conn.execute(
                    "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (acct.id, candidate.id, candidate.fingerprint, s.actor().email, s.now_iso, why),
                )
                s.record(
                    "review.ack",
                    account=acct.slug,
                    target=candidate.subject,
                    details={
                        "finding": candidate.id,
                        "fingerprint": candidate.fingerprint,
                        "kind": candidate.kind,
                        "severity": candidate.severity,
                        "reason": why,
                    },
                )
                return replace(candidate, ack=Ack(s.actor().email, s.now_iso, why)), True
        names = {"id": quoted(finding), "account": accounts[0].slug if account else ""}
        raise NotFound(
            _("no finding %(id)s in %(account)s") % names
            if account
            else _("no finding %(id)s in the accounts you own") % names,
            hint=_("`colabctl review` lists the findings and their ids"),
        )
