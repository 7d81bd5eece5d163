"""The commands of team as code: plan a file, apply it (or a saved plan), in one
transaction each."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from colabctl.core.session import Context, Session, reading, writing
from colabctl.core.team.executor import execute
from colabctl.core.team.model import DEFAULT_MAX_REMOVALS, Options, Plan
from colabctl.core.team.planner import assess_plan, compute
from colabctl.core.team.saved import check_in_store
from colabctl.core.team.state import State, read
from colabctl.errors import Conflict, Forbidden
from colabctl.i18n import _, ngettext
from colabctl.store.bulk import no_cyclic_gc

if TYPE_CHECKING:
    from colabctl.core import shapes
    from colabctl.core.sod import SodRule


def plan(ctx: Context, raw: bytes, source: str, options: Options) -> Plan:
    """The plan of a team file against the store, in one read snapshot."""
    with no_cyclic_gc(), reading(ctx) as s:
        return compute(s, read(s, raw, source), options)


class Applied(NamedTuple):
    plan: Plan
    apply_id: str | None  # None: nothing to do

    def as_json(self) -> shapes.Applied:
        return {"apply_id": self.apply_id, **self.plan.as_json()}


def apply_file(
    ctx: Context,
    raw: bytes,
    source: str,
    options: Options,
    *,
    max_removals: int = DEFAULT_MAX_REMOVALS,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[Plan], Callable[[int], None] | None] | None = None,
) -> Applied:
    """Plan and apply a team file in one write transaction. EXPECT_HEAD: the
    audit head a confirmed plan was computed against (else 4, nothing written)."""
    with no_cyclic_gc(), writing(ctx, expire=False) as s:
        if expect_head is not None:
            _same_head(s, expect_head)
        s.expire_due()
        team = read(s, raw, source)
        found = compute(s, team, options)
        return Applied(found, _run(s, found, max_removals, progress))


def _run(
    s: Session,
    found: Plan,
    max_removals: int,
    progress: Callable[[Plan], Callable[[int], None] | None] | None,
) -> str | None:
    if not found.changes:
        return None
    brake(found, max_removals)
    return execute(s, found.changes, progress(found) if progress else None)


def brake(found: Plan, max_removals: int) -> None:
    if found.removals > max_removals:
        names = {"count": found.removals, "max": max_removals}
        raise Forbidden(
            ngettext(
                "this apply would remove %(count)d collaborator, more than --max-removals"
                " %(max)d; nothing was changed",
                "this apply would remove %(count)d collaborators, more than --max-removals"
                " %(max)d; nothing was changed",
                found.removals,
            )
            % names,
            hint=_("check the plan, then pass --max-removals %(count)d to allow it") % names,
        )


def _same_head(s: Session, expected: tuple[int, str]) -> None:
    from colabctl.store import audit

    if audit.head(s.conn) != tuple(expected):
        raise Conflict(
            _("the store changed since this plan: plan again"),
            hint=_("run `colabctl plan` again and apply the new plan"),
        )


def apply_plan(
    ctx: Context,
    saved: Plan,
    source: str,
    *,
    max_removals: int = DEFAULT_MAX_REMOVALS,
    consequences: bool = False,
    progress: Callable[[Plan], Callable[[int], None] | None] | None = None,
) -> Applied:
    """Exactly a saved plan's changes (read by saved.load_plan), if the store's audit head
    is still the plan's (else 4) and the store has nothing against them (saved.py): all
    judged before anything is written, expiry bookkeeping included. With CONSEQUENCES,
    what each change does to whom and the findings, worked out before it is made."""
    with no_cyclic_gc(), writing(ctx, expire=False) as s:
        _same_head(s, saved.head)
        check_in_store(s, saved, source)
        brake(saved, max_removals)
        if consequences:
            _assess(s, saved, None)
        s.expire_due()
        return Applied(saved, _run(s, saved, max_removals, progress))


def preview(ctx: Context, saved: Plan, source: str) -> Plan:
    """A saved plan as `apply` shows it before asking: what each change does to whom and
    the findings, worked out on the store it was made against (nothing is written)."""
    with no_cyclic_gc(), reading(ctx) as s:
        _same_head(s, saved.head)
        check_in_store(s, saved, source)
        _assess(s, saved, None)
    return saved


def _assess(s: Session, saved: Plan, rules: tuple[SodRule, ...] | None) -> None:
    state = State(s, list(dict.fromkeys(c.account for c in saved.changes)))
    saved.findings = assess_plan(s, state, saved.changes, rules)
