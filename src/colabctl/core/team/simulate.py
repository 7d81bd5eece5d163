"""What a plan does, worked out in memory: each account's people and profiles moved
change by change as apply would move them. Each change learns who gains and loses what
(`access.decide`, through `sod.holds`, on each person's standing before and after
it; a pending invitee's gains are what they get on acceptance), and the state the plan
leaves is judged by the review engine against the state now: the findings the plan
would open and close (docs/team-file.md, docs/review.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from colabctl.core.access import Standing
from colabctl.core.catalog import catalog
from colabctl.core.clock import iso
from colabctl.core.identity import email_key
from colabctl.core.review import Ack, Finding, Judge, Roster, by_severity
from colabctl.core.sod import holds
from colabctl.core.team.model import Change, PlanReview
from colabctl.core.team.state import State

NOTHING: frozenset[str] = frozenset()
HOLDING = ("pending", "active")  # pending: on acceptance


class Walk:
    """One account, moved change by change."""

    def __init__(self, state: State, slug: str, now: datetime) -> None:
        self.slug = slug
        self.now = now
        acct = state.accounts.get(slug)
        self.profiles: dict[str, frozenset[str]] = {}
        self.people: dict[str, Standing] = {}  # identity key -> standing, the owner aside
        if acct is not None:
            self.profiles = {n: p.permissions for n, p in state.profiles[acct.id].items()}
            owner = email_key(acct.owner_email)
            for key, m in state.members[acct.id].items():
                if key != owner:
                    self.people[key] = Standing(
                        m.email, slug, False, m.status, m.profile, NOTHING, m.invited_at,
                        m.expires_at, m.ended_at, m.access_until,
                    )  # fmt: skip

    def roster(self, acks: dict[str, tuple[str, Ack]]) -> Roster:
        """The account as the walk has it now, as the review judges it: only an active
        person holds their profile's permissions."""
        people = [
            st._replace(granted=self.profiles.get(st.profile or "", NOTHING))
            if st.status == "active"
            else st
            for st in self.people.values()
        ]
        return Roster(self.slug, people, dict(self.profiles), acks)

    def held(self, st: Standing | None) -> frozenset[str]:
        """What the person holds, or will on acceptance."""
        if st is None or st.status not in HOLDING:
            return NOTHING
        return holds(self.profiles.get(st.profile or "", NOTHING))

    def step(self, change: Change) -> None:
        """Move the account by CHANGE, filling its gains and losses."""
        kind = change.kind
        if kind in ("create-profile", "change-profile", "delete-profile"):
            self._profile(change)
            return
        if kind not in _PERSON:
            return  # account changes and registering the actor move nobody
        key = email_key(change.target)
        before = self.people.get(key)
        if before is None and kind not in _NEW:
            return  # nobody to move (a saved plan's change that apply will refuse)
        after = _PERSON[kind](self, change, before)
        self.people[key] = after
        pending = "pending" in (after.status, before.status if before else None)
        _note(change, after.user, pending, self.held(before), self.held(after))

    def _profile(self, change: Change) -> None:
        name = change.target
        if change.kind == "delete-profile":  # its holders were moved by earlier changes
            self.profiles.pop(name, None)
            return
        holders = [st for st in self.people.values() if st.profile == name]
        was = {st.user: self.held(st) for st in holders}
        if change.kind == "create-profile":
            self.profiles[name] = frozenset(change.after["permissions"])
        else:  # what apply does: add and remove, whatever the plan says the result is
            old = self.profiles.get(name, NOTHING)
            self.profiles[name] = (old | set(change.after["added"])) - set(change.after["removed"])
        for st in holders:
            _note(change, st.user, st.status == "pending", was[st.user], self.held(st))

    def _invited(self, change: Change, before: Standing | None) -> Standing:
        after = change.after
        profile = after.get("profile") or (before.profile if before else None)
        expires = iso(self.now + timedelta(seconds=after["expires_in"]))
        if change.kind == "renew" and before is not None:
            return before._replace(status="pending", expires_at=expires, ended_at=None)
        until = after.get("access_until")
        return Standing(change.target, self.slug, False, "pending", profile, NOTHING,
                        iso(self.now), expires, None, until)  # fmt: skip

    def _set_profile(self, change: Change, before: Standing | None) -> Standing:
        assert before is not None
        return before._replace(profile=change.after)

    def _set_until(self, change: Change, before: Standing | None) -> Standing:
        assert before is not None
        until = change.after
        status = before.status
        if status == "ended" and (until is None or until > iso(self.now)):
            status = "active"  # a later date, or never, gives access back
        return before._replace(access_until=until, status=status)

    def _remove(self, change: Change, before: Standing | None) -> Standing:
        assert before is not None
        return before._replace(status="revoked", ended_at=iso(self.now))


_NEW = ("invite", "reinvite", "renew")
_PERSON = {
    "invite": Walk._invited,
    "reinvite": Walk._invited,
    "renew": Walk._invited,
    "set-profile": Walk._set_profile,
    "set-access-until": Walk._set_until,
    "remove": Walk._remove,
}


def _note(
    change: Change, email: str, pending: bool, was: frozenset[str], now: frozenset[str]
) -> None:
    gained, lost = now - was, was - now
    if gained:
        change.gains[email] = catalog().ordered(gained)
    if lost:
        change.losses[email] = catalog().ordered(lost)
    if (gained or lost) and pending:
        change.pending.append(email)


def assess(
    state: State,
    changes: Sequence[Change],
    now: datetime,
    *,
    judge: Judge,
    acks: dict[int, dict[str, tuple[str, Ack]]],
) -> PlanReview:
    """Fill every change's gains and losses, and judge the findings the plan would open
    and close in the accounts it changes (ACKS: each account's, by its id)."""
    walks: dict[str, Walk] = {}
    for change in changes:
        walk = walks.get(change.account)
        if walk is None:
            walk = walks[change.account] = Walk(state, change.account, now)
        walk.step(change)
    new: list[Finding] = []
    resolved: list[Finding] = []
    for slug, walk in walks.items():
        acct = state.accounts.get(slug)
        mine = acks.get(acct.id, {}) if acct is not None else {}
        before = Walk(state, slug, now).roster(mine)
        opened, closed = compare(judge, before, walk.roster(mine))
        new += opened
        resolved += closed
    return PlanReview(sorted(new, key=by_severity), sorted(resolved, key=by_severity))


def compare(judge: Judge, before: Roster, after: Roster) -> tuple[list[Finding], list[Finding]]:
    """The findings open after and not before (new), and open before and not after
    (resolved). People and profiles the plan leaves as they were have the same findings
    on both sides, so only the others are judged."""
    people, names = _differ(before, after)
    was = judge.findings(before, people=_only(before, people), profiles=names)
    will = judge.findings(after, people=_only(after, people), profiles=names)
    open_before = {f.id for f in was if f.open}
    open_after = {f.id for f in will if f.open}
    new = [f for f in will if f.open and f.id not in open_before]
    return new, [f for f in was if f.open and f.id not in open_after]


def _differ(before: Roster, after: Roster) -> tuple[set[str], set[str]]:
    """Who (by email) and which profiles differ between the two rosters, a person's
    profile's permissions included (a pending invitee's findings depend on them)."""

    def people(roster: Roster) -> dict[str, tuple[Standing, frozenset[str] | None]]:
        return {st.user: (st, roster.profiles.get(st.profile or "")) for st in roster.people}

    was, will = people(before), people(after)
    who = {user for user in was.keys() | will.keys() if was.get(user) != will.get(user)}
    used_before, used_after = _in_use(before), _in_use(after)
    names = {
        name
        for name in before.profiles.keys() | after.profiles.keys()
        if before.profiles.get(name) != after.profiles.get(name)
        or (name in used_before) != (name in used_after)
    }
    return who, names


def _in_use(roster: Roster) -> set[str]:
    return {st.profile for st in roster.people if st.status in HOLDING and st.profile}


def _only(roster: Roster, users: set[str]) -> Iterable[Standing]:
    return [st for st in roster.people if st.user in users]
