"""What each change of a plan does to whom: gains and losses per person, change by
change, each judged by `access.decide` on the standing before and after it. Pending
people's are what they get on acceptance."""

from __future__ import annotations

from functools import cache

from colabctl.core.access import Standing, decide
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key
from colabctl.core.team.model import Change
from colabctl.core.team.state import Member, Profile


@cache
def held(profile: str | None, granted: frozenset[str]) -> frozenset[str]:
    """What an active holder of a profile with GRANTED may do, by the one decision
    function (so owner-only ids never count, whatever a profile row says)."""
    standing = Standing("", "-", status="active", profile=profile, granted=granted)
    return frozenset(p.id for p in catalog().permissions if decide(standing, p)[0])


def consequences(
    changes: list[Change], current: dict[str, Profile], people: dict[str, Member]
) -> None:
    """Fill each change's gains, losses and pending people, in the plan's order."""
    walk = _Walk(current, people)
    for change in changes:
        walk.step(change)


class _Walk:
    def __init__(self, current: dict[str, Profile], people: dict[str, Member]) -> None:
        self.perms: dict[str, frozenset[str]] = {n: p.permissions for n, p in current.items()}
        # identity key -> (status, profile, email) of everyone the account still counts
        self.state: dict[str, tuple[str, str | None, str]] = {
            email_key(m.email): (m.status, m.profile, m.email)
            for m in people.values()
            if m.status in ("pending", "active", "ended")
        }

    def held(self, profile: str | None) -> frozenset[str]:
        return held(profile, self.perms.get(profile or "", frozenset()))

    def step(self, change: Change) -> None:
        kind, target = change.kind, change.target
        if kind == "create-profile":
            self.perms[target] = frozenset(change.after["permissions"])
        elif kind == "change-profile":
            old = self.held(target)
            self.perms[target] = frozenset(change.after["permissions"])
            new = self.held(target)
            for status, profile, email in self.state.values():
                if profile == target:
                    _note(change, email, status, old, new)
        elif kind in ("invite", "reinvite", "renew"):
            profile = change.after.get("profile") or (change.before or {}).get("profile")
            _note(change, target, "pending", frozenset(), self.held(profile))
            self.state[email_key(target)] = ("pending", profile, target)
        elif kind in ("set-profile", "set-access-until", "remove"):
            self._person(change)

    def _person(self, change: Change) -> None:
        key, email = email_key(change.target), change.target
        status, profile, _ = self.state[key]
        if change.kind == "set-profile":
            if status != "ended":  # an ended collaborator holds nothing either way
                _note(change, email, status, self.held(change.before), self.held(change.after))
            self.state[key] = (status, change.after, email)
        elif change.kind == "set-access-until":
            if status == "ended":  # a later date, or never, gives access back
                _note(change, email, "active", frozenset(), self.held(profile))
                self.state[key] = ("active", profile, email)
        else:  # remove
            del self.state[key]
            if status != "ended":
                _note(change, email, status, self.held(profile), frozenset())


def _note(
    change: Change, email: str, status: str, before: frozenset[str], after: frozenset[str]
) -> None:
    gained, lost = after - before, before - after
    if gained:
        change.gains[email] = catalog().ordered(gained)
    if lost:
        change.losses[email] = catalog().ordered(lost)
    if (gained or lost) and status == "pending":
        change.pending.append(email)
