"""core/team/simulate.py: what a plan does, worked out in memory before anything is
written: who gains and loses what with each change (a pending invitee's gains wait for
acceptance), and the review findings the state it leaves would open and close."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, OWNER, START, preset_ids

from colabctl.core.review import Judge
from colabctl.core.session import Context, reading
from colabctl.core.sod import SodRule
from colabctl.core.team.model import Change, PlanReview
from colabctl.core.team.simulate import assess
from colabctl.core.team.state import State
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]
# a pair soporte holds both of: bob, active in soporte, breaks it now
SUPPORT_PAIR = SodRule("refund-and-search", ("purchases.request_refunds", "purchases.search"))
INVITE = {"profile": "tecnico", "expires_in": 3600, "access_until": None}


def assessed(ctx: Context, changes: list[Change], rules: list[SodRule]) -> PlanReview:
    with reading(ctx) as s:
        state = State(s, [ACME])
        return assess(state, changes, START, judge=Judge(rules, START, on_acceptance=True), acks={})


def only(ids: list[str], without: list[str]) -> list[str]:
    return [i for i in ids if i not in without]


def test_a_new_profile_moves_what_its_holder_holds(acme_db: Target, ctx_as: As) -> None:
    change = Change(ACME, "set-profile", BOB, "soporte", "tecnico")
    assessed(ctx_as(OWNER), [change], [])
    soporte, tecnico = preset_ids("soporte"), preset_ids("tecnico")
    assert change.gains == {BOB: only(tecnico, soporte)}
    assert change.losses == {BOB: only(soporte, tecnico)}
    assert change.pending == []


def test_an_invitees_gains_wait_for_acceptance(acme_db: Target, ctx_as: As) -> None:
    change = Change(ACME, "invite", BEA, None, INVITE)
    assessed(ctx_as(OWNER), [change], [])
    assert (change.gains, change.losses, change.pending) == (
        {BEA: preset_ids("tecnico")},
        {},
        [BEA],
    )


def test_a_profile_change_reaches_each_holder(acme_db: Target, ctx_as: As) -> None:
    before = {"permissions": preset_ids("soporte"), "description": ""}
    after = {
        "permissions": [],
        "description": "",
        "added": ["tools.listboss"],
        "removed": ["products.view"],
    }
    change = Change(ACME, "change-profile", "soporte", before, after)
    assessed(ctx_as(OWNER), [change], [])
    assert (change.gains, change.losses) == ({BOB: ["tools.listboss"]}, {BOB: ["products.view"]})


def test_the_findings_a_plan_opens_and_closes(acme_db: Target, ctx_as: As) -> None:
    moved = Change(ACME, "set-profile", BOB, "soporte", "tecnico")
    found = assessed(ctx_as(OWNER), [moved], [SUPPORT_PAIR])
    opened = sorted((f.kind, f.subject) for f in found.new)
    closed = sorted((f.kind, f.subject) for f in found.resolved)
    assert opened == [("unused-profile", "profile:soporte")]  # nobody holds it any more
    assert closed == [("sod-conflict", BOB), ("unused-profile", "profile:tecnico")]


def test_a_pending_invitee_is_judged_as_if_accepted(acme_db: Target, ctx_as: As) -> None:
    invited = Change(ACME, "invite", BEA, None, INVITE | {"profile": "soporte"})
    found = assessed(ctx_as(OWNER), [invited], [SUPPORT_PAIR])
    (conflict,) = [f for f in found.new if f.kind == "sod-conflict"]
    assert (conflict.subject, conflict.on_acceptance) == (BEA, True)
    assert "on acceptance" in str(conflict.message)
