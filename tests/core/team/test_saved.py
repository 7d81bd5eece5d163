"""core/team/saved.py: a saved plan written (`save_plan`) and read back as input like any
other (`load_plan`): every value checked, a fault naming the plan file and the change,
before the store is opened; then, in the apply's transaction, what only the store can
tell (`check_in_store`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from support import ACME, BEA, BOB, OWNER, ZED

from colabctl.core import users
from colabctl.core.session import Context, reading
from colabctl.core.team import commands
from colabctl.core.team.model import Change, Options, Plan
from colabctl.core.team.saved import HINT, check_in_store, load_plan, save_plan
from colabctl.errors import Conflict, Forbidden, Invalid
from colabctl.store.engine import Target

As = Callable[[str | None], Context]
FILE = f'version = 1\n[accounts.{ACME}.collaborators]\n"{BOB}" = "tecnico"\n"{BEA}" = "soporte"\n'


def _saved(plan: Plan, ctx: Context, **changes: Any) -> bytes:
    data: dict[str, Any] = {**save_plan(plan, ctx, Options()).as_json(), **changes}
    return json.dumps(data).encode()


@pytest.mark.engines("sqlite", "postgres")
def test_a_saved_plan_reads_back_as_it_was_planned(acme_db: Target, ctx_as: As) -> None:
    planned = commands.plan(ctx_as(OWNER), FILE.encode(), "t.toml", Options())
    data = save_plan(planned, ctx_as(OWNER), Options(prune=True)).as_json()
    assert (data["format"], data["version"], data["actor"]) == ("colabctl-plan", 1, OWNER)
    assert data["options"] == {"prune": True, "reinvite": False}
    loaded = load_plan(json.dumps(data).encode(), "plan.json")
    assert loaded.head == planned.head
    assert [(c.kind, c.target, c.before, c.after) for c in loaded.changes] == [
        (c.kind, c.target, c.before, c.after) for c in planned.changes
    ]
    assert all(c.gains == {} == c.losses for c in loaded.changes)  # worked out again


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{", "not JSON: "),
        (b"[]", "not a colabctl plan"),
        (b'{"format": "colabctl-plan", "version": 2}', 'plan version "2", expected 1'),
        (b'{"format": "colabctl-plan", "version": 1, "head": {"seq": -1}}', "no audit head"),
        (
            b'{"format": "colabctl-plan", "version": 1, "head": {"seq": 1, "hash": "'
            + b"a" * 64
            + b'"}, "changes": {}}',
            "no list of changes",
        ),
    ],
)
def test_what_is_no_saved_plan_is_refused(raw: bytes, says: str) -> None:
    with pytest.raises(Invalid) as caught:
        load_plan(raw, "plan.json")
    assert caught.value.message.startswith("plan.json: not a saved plan (")
    assert says in caught.value.message
    assert caught.value.hint == HINT


def test_a_bad_change_is_named_by_its_number_and_target() -> None:
    head = {"seq": 1, "hash": "a" * 64}
    good = Change(ACME, "set-profile", BOB, "soporte", "tecnico").as_json()
    bad = Change(ACME, "set-profile", BEA, "soporte", "Not A Slug").as_json()
    raw = json.dumps(
        {"format": "colabctl-plan", "version": 1, "head": head, "changes": [good, bad]}
    ).encode()
    with pytest.raises(Invalid) as caught:
        load_plan(raw, "plan.json")
    assert caught.value.message.startswith(
        f'plan.json: change 2 ("set-profile" "{BEA}"): profile name "Not A Slug" contains'
    )


@pytest.mark.engines("sqlite", "postgres")
def test_the_store_refuses_a_plan_its_applier_may_not_apply(acme_db: Target, ctx_as: As) -> None:
    planned = commands.plan(ctx_as(OWNER), FILE.encode(), "t.toml", Options())
    with reading(ctx_as(BOB)) as s, pytest.raises(Forbidden) as collaborator:
        check_in_store(s, planned, "plan.json")
    assert collaborator.value.message == f"only the owner of {ACME} ({OWNER}) can do that"
    users.register(ctx_as(None), ZED)
    with reading(ctx_as(ZED)) as s, pytest.raises(Conflict) as outsider:
        check_in_store(s, planned, "plan.json")
    assert outsider.value.message == f'account "{ACME}" already exists'  # nothing more
    someone = Plan(
        planned.head, [Change("new-one", "register-user", "x@example.com", None, None)], [], []
    )
    with reading(ctx_as("y@example.com")) as s, pytest.raises(Forbidden) as registers:
        check_in_store(s, someone, "plan.json")
    assert registers.value.message.startswith(
        'plan.json: change 1 ("register-user" "x@example.com"): this plan registers'
        " x@example.com, but you are y@example.com"
    )
