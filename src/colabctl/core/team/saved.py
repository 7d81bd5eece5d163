"""Saved plans (docs/team-file.md, "Saved plans"): `plan -o PLAN.json` writes one;
`apply PLAN.json` reads it back as input like any other. Every value is checked by the
rules a team file's are (checks.py), and the plan refused with exit 6 naming the plan
file and the change (its number and target), before the store is opened; then, in the
apply's transaction and before anything is written, by what only the store can tell."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.core import access, accounts
from colabctl.core.names import quoted
from colabctl.core.session import Context, Session
from colabctl.core.team.checks import check_change, located, refuse_lookalikes
from colabctl.core.team.executor import refuse_registration
from colabctl.core.team.model import PLAN_FORMAT, PLAN_VERSION, Change, Options, Plan
from colabctl.core.team.planner import owned
from colabctl.errors import ColabError, Invalid
from colabctl.i18n import N_, _

if TYPE_CHECKING:
    from colabctl.core import shapes

HINT = N_("write one with `colabctl plan -f TEAM.toml -o PLAN.json`")
_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)


class SavedPlan(NamedTuple):
    """The saved-plan document: the changes and the head they were computed against, who
    planned them and with which options."""

    plan: Plan
    actor: str | None
    options: Options

    def as_json(self) -> shapes.SavedPlan:
        return {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "actor": self.actor,
            "options": {"prune": self.options.prune, "reinvite": self.options.reinvite},
            **self.plan.as_json(),
        }


def save_plan(found: Plan, ctx: Context, options: Options) -> SavedPlan:
    return SavedPlan(found, ctx.actor_email(), options)


def load_plan(raw: bytes, source: str) -> Plan:
    """A saved plan, every change checked (their gains, losses and findings are not read:
    they are worked out again from the store); warnings and notes are not read either."""
    data = _document(raw, source)
    changes = []
    for number, item in enumerate(data["changes"], 1):
        try:
            changes.append(check_change(item))
        except ColabError as exc:
            where = _("%(file)s: change %(number)d (%(change)s)")
            raise located(
                where % {"file": source, "number": number, "change": _named(item)}, exc
            ) from exc
    head = data["head"]
    return Plan((head["seq"], head["hash"]), changes, [], [])


def _document(raw: bytes, source: str) -> dict[str, Any]:
    """The plan's outer shape: format, version, head and a list of changes."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise Invalid(
            _("%(file)s: not a saved plan (not JSON: %(reason)s)")
            % {"file": source, "reason": exc},
            hint=_(HINT),
        ) from exc
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise Invalid(
            _("%(file)s: not a saved plan (not a colabctl plan)") % {"file": source}, hint=_(HINT)
        )
    if data.get("version") != PLAN_VERSION:
        raise Invalid(
            _("%(file)s: not a saved plan (plan version %(version)s, expected %(expected)s)")
            % {
                "file": source,
                "version": quoted(str(data.get("version"))),
                "expected": PLAN_VERSION,
            },
            hint=_(HINT),
        )
    head = data.get("head")
    if (
        not isinstance(head, dict)
        or not isinstance(head.get("seq"), int)
        or isinstance(head.get("seq"), bool)
        or head["seq"] < 0
        or not isinstance(head.get("hash"), str)
        or not _HASH.fullmatch(head["hash"])
    ):
        raise Invalid(
            _("%(file)s: not a saved plan (no audit head it was made against)") % {"file": source},
            hint=_(HINT),
        )
    if not isinstance(data.get("changes"), list):
        raise Invalid(
            _("%(file)s: not a saved plan (no list of changes)") % {"file": source}, hint=_(HINT)
        )
    return data


def _named(item: Any) -> str:
    """A change as its plan names it, for an error: its kind and target, made safe."""
    if not isinstance(item, dict):
        return _("not an object")
    kind, target = item.get("kind"), item.get("target")
    return " ".join(quoted(str(v), limit=60) if isinstance(v, str) else "?" for v in (kind, target))


def check_in_store(s: Session, saved: Plan, source: str) -> None:
    """What only the store can tell, before anything is shown or written: an account the
    person applying it does not own (5, or the taken slug's 4, as for a team file); a
    registration of someone else (5); an address the plan would register or invite that
    can pass for another (6)."""

    def where(number: int, change: Change) -> str:
        return _("%(file)s: change %(number)d (%(change)s)") % {
            "file": source,
            "number": number,
            "change": f"{quoted(change.kind)} {quoted(change.target)}",
        }

    claimed = s.acting_email()
    registered = s.user_by_email(claimed) is not None
    mine = {acct.slug for acct in access.owned_accounts(s)} if registered else set()
    for slug in dict.fromkeys(change.account for change in saved.changes):
        acct = s.account_by_slug(slug)
        if acct is not None:
            owned(s, acct, mine, claimed)
        elif s.store.slug_taken(slug):  # someone's the actor may not read (a server's)
            raise accounts.taken(slug)
    for number, change in enumerate(saved.changes, 1):
        if change.kind == "register-user":
            refuse_registration(s, change, where(number, change))
    refuse_lookalikes(s, saved.changes, where)
