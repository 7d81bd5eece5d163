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

from colabctl.i18n import _, ngettext, pgettext, shown

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
    return ngettext(
        "%(count)s change: %(add)s to add, %(change)s to change, %(remove)s to remove",
        "%(count)s changes: %(add)s to add, %(change)s to change, %(remove)s to remove",
        len(signs),
    ) % {
        "count": f"{len(signs):,}",
        "add": f"{signs.count('+'):,}",
        "change": f"{signs.count('~'):,}",
        "remove": f"{signs.count('-'):,}",
    }


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
            yield Line(0, _("No changes: the store matches the file."))
        account = None
        for block in _blocks(found.changes):
            if block[0].account != account:
                account = block[0].account
                yield Line(0, account, "bold")
            yield from self._block(block)
        if found.notes:
            yield Line(0, _("notes:"))
            yield from (Line(2, shown(note)) for note in found.notes)
        if found.findings is not None:
            yield from self._findings(found.findings.new, found.findings.resolved)
        if found.changes:
            if self.risky:
                yield Line(0, _("Plan: %(summary)s. (! high risk)") % {"summary": summary(found)})
            else:
                yield Line(0, _("Plan: %(summary)s.") % {"summary": summary(found)})

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
            names = {"email": email, "ids": self.ids(ids)}
            if email in pending:
                yield Line(6, _("%(email)s gains on acceptance: %(ids)s") % names)
            else:
                yield Line(6, _("%(email)s gains: %(ids)s") % names)
        for email, ids in first.losses.items():
            names = {"email": email, "ids": self.ids(ids)}
            if email in pending:
                yield Line(6, _("%(email)s loses (pending: on acceptance): %(ids)s") % names)
            else:
                yield Line(6, _("%(email)s loses: %(ids)s") % names)

    def _invitations(self, block: list[Change]) -> Iterator[Line]:
        """Invitations to one profile in one account: a count, up to NAMED emails, and
        the gains said once for every group of people who gain the same."""
        profile = block[0].after["profile"]
        emails = [c.target for c in block]
        invitations = ngettext(
            "%(count)s invitation as %(profile)s: %(people)s",
            "%(count)s invitations as %(profile)s: %(people)s",
            len(block),
        ) % {"count": f"{len(block):,}", "profile": profile, "people": _named(emails)}
        yield Line(2, f"+ {invitations}", STYLE["+"])
        same: dict[tuple[str, ...], int] = {}
        for change in block:
            gains = tuple(change.gains.get(change.target, ()))
            same[gains] = same.get(gains, 0) + 1
        for gains, count in same.items():
            if not gains:
                continue
            names = {"count": f"{count:,}", "ids": self.ids(list(gains))}
            if count == len(block):
                yield Line(6, _("each gains on acceptance: %(ids)s") % names)
            else:
                yield Line(6, _("%(count)s of them gain on acceptance: %(ids)s") % names)

    def _profile_people(self, change: Change) -> Iterator[Line]:
        """Per permission added or removed, the people who gain or lose it, by email:
        at most NAMED distinct people for the whole change."""
        people = list(dict.fromkeys([*change.gains, *change.losses]))
        seen = set(people[:NAMED])
        pending = set(change.pending)
        for sign, table in (("+", change.gains), ("-", change.losses)):
            holders: dict[str, list[str]] = {}
            for email, ids in table.items():
                for i in ids:
                    holders.setdefault(i, []).append(email)
            for i, emails in holders.items():
                later = _("%(email)s (on acceptance)")
                named = [later % {"email": e} if e in pending else e for e in emails if e in seen]
                more = len(emails) - len(named)
                listed = ", ".join(named)
                if more and named:
                    listed = _("%(people)s, and %(count)s more") % {
                        "people": listed,
                        "count": f"{more:,}",
                    }
                elif more:
                    listed = _("%(count)s not named above") % {"count": f"{more:,}"}
                names = {"count": f"{len(emails):,}", "people": listed}
                who = ngettext(
                    "for %(count)s person: %(people)s",
                    "for %(count)s people: %(people)s",
                    len(emails),
                )
                yield Line(6, f"{sign}{self.ids([i])} " + who % names)

    def _describe(self, change: Change) -> str:
        kind, before, after, target = change.kind, change.before, change.after, change.target
        names = {"target": target, "before": before, "after": after}
        if kind == "register-user":
            return _("register %(target)s (you: the owner this file names)") % names
        if kind == "create-account":
            tax = after.get("tax_id")
            names |= {"name": after["name"]}
            if tax:
                names |= {"tax_id": f"{tax['country']} {tax['number']}"}
                return _("create account %(target)s (%(name)s, tax ID %(tax_id)s)") % names
            return _("create account %(target)s (%(name)s)") % names
        if kind == "rename-account":
            return _("rename account %(target)s: %(before)s -> %(after)s") % names
        if kind == "set-tax-id":
            names |= {
                "before": f"{before['country']} {before['number']}" if before else _("none"),
                "after": f"{after['country']} {after['number']}",
            }
            return _("set tax ID of %(target)s: %(before)s -> %(after)s") % names
        if kind == "create-profile":
            names |= {"ids": self.ids(after["permissions"])}
            return _("create profile %(target)s: %(ids)s") % names
        if kind == "change-profile":
            parts = [f"+{self.ids([i])}" for i in after["added"]]
            parts += [f"-{self.ids([i])}" for i in after["removed"]]
            if after["description"] != before["description"]:
                parts.append(_("new description"))
            names |= {"changes": ", ".join(parts)}
            return _("change profile %(target)s: %(changes)s") % names
        return _people(change)

    def _findings(self, new: list[Finding], resolved: list[Finding]) -> Iterator[Line]:
        """The findings the plan opens and closes, at most NAMED of each kind and
        severity (`plan --json` lists every one)."""
        if not new and not resolved:
            return
        yield Line(
            0,
            _("Review: %(new)s new and %(resolved)s resolved findings.")
            % {"new": f"{len(new):,}", "resolved": f"{len(resolved):,}"},
        )
        for opened, found in ((True, new), (False, resolved)):
            groups: dict[tuple[str, str], list[Finding]] = {}
            for f in found:
                groups.setdefault((f.severity, f.kind), []).append(f)
            for (severity, kind), group in groups.items():
                style = "red" if opened and severity == "high" else None
                names = {"severity": pgettext("level", severity), "kind": kind}
                one = _("new %(severity)s %(kind)s %(id)s: %(message)s")
                if not opened:
                    one = _("resolved %(severity)s %(kind)s %(id)s: %(message)s")
                for f in group[:NAMED]:
                    yield Line(2, one % (names | {"id": f.id, "message": shown(f.message)}), style)
                if len(group) > NAMED:
                    names |= {"count": f"{len(group) - NAMED:,}"}
                    more = _("new %(severity)s %(kind)s: and %(count)s more like these")
                    if not opened:
                        more = _("resolved %(severity)s %(kind)s: and %(count)s more like these")
                    yield Line(2, more % names, style)


def _people(change: Change) -> str:
    """What a change to one person does, in words."""
    before, after = change.before, change.after
    names = {"target": change.target, "before": before, "after": after}
    if change.kind == "invite":
        return _("invite %(target)s as %(profile)s") % (names | {"profile": after["profile"]})
    if change.kind == "reinvite":
        names |= {"profile": after["profile"], "status": pgettext("status", before["status"])}
        return _("invite %(target)s again as %(profile)s (was %(status)s)") % names
    if change.kind == "set-profile":
        return _("set profile of %(target)s: %(before)s -> %(after)s") % names
    if change.kind == "set-access-until":
        names |= {"after": after or _("never"), "before": before or _("never")}
        return _("set access of %(target)s until %(after)s (was %(before)s)") % names
    if change.kind == "renew":
        names |= {"profile": before["profile"]}
        return _("renew the expired invitation of %(target)s (%(profile)s)") % names
    if change.kind == "remove":
        names |= {"status": pgettext("status", before["status"]), "profile": before["profile"]}
        return _("remove %(target)s (%(status)s, %(profile)s)") % names
    return _("delete profile %(target)s") % names


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
    listed = ", ".join(emails[:NAMED])
    more = len(emails) - NAMED
    if more > 0:
        return _("%(people)s, and %(count)s more") % {"people": listed, "count": f"{more:,}"}
    return listed
