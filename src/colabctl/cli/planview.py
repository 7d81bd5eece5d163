"""A plan as people read it (docs/team-file.md, "Reading a plan"): lines of text, each
with its indent and style, that cli/output.py prints (wrapped at word boundaries).

Changes are listed per account with `+`, `~` or `-`; beside each, who gains and loses
what, by email (at most 10 people named per change, then "and N more"); invitations to
one profile in one account form one block whose shared gains are said once; the review
findings the plan would open and close follow. `!` marks a high-risk permission, and
the legend says so only when one is shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from colabctl.i18n import shown

if TYPE_CHECKING:
    from colabctl.core.review import Finding
    from colabctl.core.team import Change, Plan

NAMED = 10  # people named per change, or per invitation block

SIGN = {
    "register-user": "+",
    "create-account": "+",
    "rename-account": "~",
    "set-tax-id": "~",
    "create-profile": "+",
    "change-profile": "~",
    "invite": "+",
    "set-profile": "~",
    "set-access-until": "~",
    "renew": "~",
    "reinvite": "+",
    "remove": "-",
    "delete-profile": "-",
}
STYLE = {"+": "green", "~": "yellow", "-": "red"}


class Line(NamedTuple):
    indent: int
    text: str
    style: str | None = None


def summary(found: Plan) -> str:
    signs = [SIGN[c.kind] for c in found.changes]
    return (
        f"{len(signs):,} change{'' if len(signs) == 1 else 's'}: {signs.count('+'):,} to add,"
        f" {signs.count('~'):,} to change, {signs.count('-'):,} to remove"
    )


class View:
    """The lines of one plan; `risky` tells whether a `!` was shown."""

    def __init__(self) -> None:
        from colabctl.core.catalog import catalog

        self.high = {p.id for p in catalog().permissions if p.risk == "high"}
        self.risky = False

    def ids(self, ids: list[str]) -> str:
        marked = [f"{i}!" if i in self.high else i for i in ids]
        self.risky = self.risky or any(i in self.high for i in ids)
        return ", ".join(marked)

    def lines(self, found: Plan) -> Iterator[Line]:
        if not found.changes:
            yield Line(0, "No changes: the store matches the file.")
        account = None
        for block in _blocks(found.changes):
            if block[0].account != account:
                account = block[0].account
                yield Line(0, account, "bold")
            yield from self._block(block)
        if found.notes:
            yield Line(0, "notes:")
            yield from (Line(2, note) for note in found.notes)
        if found.findings is not None:
            yield from self._findings(found.findings.new, found.findings.resolved)
        if found.changes:
            legend = " (! high risk)" if self.risky else ""
            yield Line(0, f"Plan: {summary(found)}.{legend}")

    def _block(self, block: list[Change]) -> Iterator[Line]:
        first = block[0]
        sign = SIGN[first.kind]
        if len(block) > 1:
            yield from self._invitations(block)
            return
        yield Line(2, f"{sign} {self._describe(first)}", STYLE[sign])
        if first.kind == "change-profile":
            yield from self._profile_people(first)
            return
        pending = set(first.pending)
        for email, ids in first.gains.items():
            when = " on acceptance" if email in pending else ""
            yield Line(6, f"{email} gains{when}: {self.ids(ids)}")
        for email, ids in first.losses.items():
            when = " (pending: on acceptance)" if email in pending else ""
            yield Line(6, f"{email} loses{when}: {self.ids(ids)}")

    def _invitations(self, block: list[Change]) -> Iterator[Line]:
        """Invitations to one profile in one account: a count, up to NAMED emails, and
        the gains said once for every group of people who gain the same."""
        profile = block[0].after["profile"]
        emails = [c.target for c in block]
        yield Line(
            2,
            f"+ {len(block):,} invitations as {profile}: {_named(emails)}",
            STYLE["+"],
        )
        same: dict[tuple[str, ...], int] = {}
        for change in block:
            gains = tuple(change.gains.get(change.target, ()))
            same[gains] = same.get(gains, 0) + 1
        for gains, count in same.items():
            if not gains:
                continue
            who = "each gains" if count == len(block) else f"{count:,} of them gain"
            yield Line(6, f"{who} on acceptance: {self.ids(list(gains))}")

    def _profile_people(self, change: Change) -> Iterator[Line]:
        """Per permission added or removed, the people who gain or lose it, by email:
        at most NAMED distinct people for the whole change."""
        people = list(dict.fromkeys([*change.gains, *change.losses]))
        shown = set(people[:NAMED])
        pending = set(change.pending)
        for sign, table in (("+", change.gains), ("-", change.losses)):
            holders: dict[str, list[str]] = {}
            for email, ids in table.items():
                for i in ids:
                    holders.setdefault(i, []).append(email)
            for i, emails in holders.items():
                named = [
                    f"{e} (on acceptance)" if e in pending else e for e in emails if e in shown
                ]
                more = len(emails) - len(named)
                many = "person" if len(emails) == 1 else "people"
                listed = ", ".join(named) + (f", and {more:,} more" if more else "")
                if not named:
                    listed = f"{more:,} not named above"
                yield Line(6, f"{sign}{self.ids([i])} for {len(emails):,} {many}: {listed}")

    def _describe(self, change: Change) -> str:
        kind, before, after, target = change.kind, change.before, change.after, change.target
        if kind == "register-user":
            return f"register {target} (you: the owner this file names)"
        if kind == "create-account":
            tax = after.get("tax_id")
            where = f", tax ID {tax['country']} {tax['number']}" if tax else ""
            return f"create account {target} ({after['name']}{where})"
        if kind == "rename-account":
            return f"rename account {target}: {before} -> {after}"
        if kind == "set-tax-id":
            was = f"{before['country']} {before['number']}" if before else "none"
            return f"set tax ID of {target}: {was} -> {after['country']} {after['number']}"
        if kind == "create-profile":
            return f"create profile {target}: {self.ids(after['permissions'])}"
        if kind == "change-profile":
            parts = [f"+{self.ids([i])}" for i in after["added"]]
            parts += [f"-{self.ids([i])}" for i in after["removed"]]
            if after["description"] != before["description"]:
                parts.append("new description")
            return f"change profile {target}: " + ", ".join(parts)
        return _PEOPLE[kind](change)

    def _findings(self, new: list[Finding], resolved: list[Finding]) -> Iterator[Line]:
        """The findings the plan opens and closes, at most NAMED of each kind and
        severity (`plan --json` lists every one)."""
        if not new and not resolved:
            return
        yield Line(0, f"Review: {len(new):,} new and {len(resolved):,} resolved findings.")
        for mark, found in (("new", new), ("resolved", resolved)):
            groups: dict[tuple[str, str], list[Finding]] = {}
            for f in found:
                groups.setdefault((f.severity, f.kind), []).append(f)
            for (severity, kind), group in groups.items():
                style = "red" if mark == "new" and severity == "high" else None
                for f in group[:NAMED]:
                    yield Line(2, f"{mark} {severity} {kind} {f.id}: {shown(f.message)}", style)
                if len(group) > NAMED:
                    more = len(group) - NAMED
                    yield Line(2, f"{mark} {severity} {kind}: and {more:,} more like these", style)


_PEOPLE = {
    "invite": lambda c: f"invite {c.target} as {c.after['profile']}",
    "reinvite": lambda c: (
        f"invite {c.target} again as {c.after['profile']} (was {c.before['status']})"
    ),
    "set-profile": lambda c: f"set profile of {c.target}: {c.before} -> {c.after}",
    "set-access-until": lambda c: (
        f"set access of {c.target} until {c.after or 'never'} (was {c.before or 'never'})"
    ),
    "renew": lambda c: f"renew {c.target}'s expired invitation ({c.before['profile']})",
    "remove": lambda c: f"remove {c.target} ({c.before['status']}, {c.before['profile']})",
    "delete-profile": lambda c: f"delete profile {c.target}",
}


def _blocks(changes: list[Change]) -> Iterator[list[Change]]:
    """The changes in order; consecutive new invitations to one profile of one account
    as one block."""
    block: list[Change] = []
    for change in changes:
        if block and _same_block(block[0], change):
            block.append(change)
            continue
        if block:
            yield block
        block = [change]
    if block:
        yield block


def _same_block(first: Change, change: Change) -> bool:
    return (
        change.kind == first.kind == "invite"
        and change.account == first.account
        and change.after["profile"] == first.after["profile"]
    )


def _named(emails: list[str]) -> str:
    shown = ", ".join(emails[:NAMED])
    more = len(emails) - NAMED
    return f"{shown}, and {more:,} more" if more > 0 else shown
