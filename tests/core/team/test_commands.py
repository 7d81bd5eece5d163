"""core/team/commands.py, plan and apply as the CLI calls them (docs/team-file.md): a
plan read in one snapshot, an apply in one transaction, all or nothing when an account
fails after others were planned and partly written; the removals brake; a saved plan
applied only against the store it was made on; and the property that apply then plan,
and export then plan, find no changes for any reachable store and file."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ACME, BEA, BOB, CAIO, CNPJ, OWNER, FakeClock, acme_store, audit_trail, dump

from colabctl.core import collaborators, team
from colabctl.core.session import Context
from colabctl.core.team import commands
from colabctl.errors import ColabError, Conflict, Forbidden
from colabctl.store.engine import Target

PEOPLE = [f"p{i}@example.com" for i in range(6)]
PRESETS = ["soporte", "tecnico", "financiero"]

As = Callable[[str | None], Context]


def _store(path: Target, clock: FakeClock) -> Context:
    """ana owns acme-cursos (soporte, tecnico), nobody else in it; her context."""
    acme_store(path, clock, with_bob=False)
    return Context(db=str(path), actor=OWNER, clock=clock)


def _with(people: dict[str, str]) -> bytes:
    """acme-cursos' collaborators as a team file: PEOPLE (email -> profile), only them."""
    lines = ["version = 1", f"[accounts.{ACME}.collaborators]"]
    lines += [f'"{email}" = "{profile}"' for email, profile in people.items()]
    return ("\n".join(lines) + "\n").encode()


# -- plan and apply ---------------------------------------------------------------------------


@pytest.mark.engines("sqlite", "postgres")
def test_a_plan_writes_nothing_and_its_apply_does_it_all(acme_db: Target, ctx_as: As) -> None:
    raw = _with({BOB: "soporte", BEA: "tecnico", CAIO: "soporte"})
    before = dump(acme_db)
    planned = commands.plan(ctx_as(OWNER), raw, "t.toml", team.Options())
    assert dump(acme_db) == before
    assert [(c.kind, c.target) for c in planned.changes] == [("invite", BEA), ("invite", CAIO)]
    applied = commands.apply_file(ctx_as(OWNER), raw, "t.toml", team.Options())
    assert applied.apply_id is not None
    tagged = [(a, t) for a, t, d in audit_trail(acme_db, "action", "target", "details")
              if d.get("apply") == applied.apply_id]  # fmt: skip
    assert tagged == [("invitation.create", BEA), ("invitation.create", CAIO)]
    again = commands.apply_file(ctx_as(OWNER), raw, "t.toml", team.Options())
    assert (again.plan.changes, again.apply_id) == ([], None)


@pytest.mark.engines("sqlite", "postgres")
def test_the_brake_stops_more_removals_than_allowed(acme_db: Target, ctx_as: As) -> None:
    for email in (BEA, CAIO):
        collaborators.invite(ctx_as(OWNER), email, profile="tecnico", account=ACME)
    before = dump(acme_db)
    with pytest.raises(Forbidden) as caught:
        commands.apply_file(
            ctx_as(OWNER), _with({}), "t.toml", team.Options(prune=True), max_removals=2
        )
    assert caught.value.message == (
        "this apply would remove 3 collaborators, more than --max-removals 2; nothing was changed"
    )
    assert caught.value.hint == "check the plan, then pass --max-removals 3 to allow it"
    assert dump(acme_db) == before
    done = commands.apply_file(
        ctx_as(OWNER), _with({}), "t.toml", team.Options(prune=True), max_removals=3
    )
    assert done.plan.removals == 3


@pytest.mark.engines("sqlite", "postgres")
def test_a_confirmed_plan_is_applied_only_on_the_store_it_was_made_on(
    acme_db: Target, ctx_as: As
) -> None:
    raw = _with({BOB: "soporte", BEA: "tecnico"})
    planned = commands.plan(ctx_as(OWNER), raw, "t.toml", team.Options())
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)  # meanwhile
    before = dump(acme_db)
    for attempt in (
        lambda: commands.apply_file(
            ctx_as(OWNER), raw, "t.toml", team.Options(), expect_head=planned.head
        ),
        lambda: commands.apply_plan(ctx_as(OWNER), planned, "plan.json"),
        lambda: commands.preview(ctx_as(OWNER), planned, "plan.json"),
    ):
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.message == "the store changed since this plan: plan again"
        assert caught.value.hint == "run `colabctl plan` again and apply the new plan"
    assert dump(acme_db) == before


@pytest.mark.engines("sqlite", "postgres")
def test_a_saved_plan_applies_exactly_its_changes(acme_db: Target, ctx_as: As) -> None:
    raw = _with({BOB: "tecnico", BEA: "tecnico"})
    planned = commands.plan(ctx_as(OWNER), raw, "t.toml", team.Options(consequences=False))
    shown = commands.preview(ctx_as(OWNER), planned, "plan.json")
    assert shown.findings is not None
    assert {c.kind: c.gains for c in shown.changes}["set-profile"] != {}
    done = commands.apply_plan(ctx_as(OWNER), planned, "plan.json")
    assert [c.kind for c in done.plan.changes] == ["invite", "set-profile"]
    assert commands.plan(ctx_as(OWNER), raw, "t.toml", team.Options()).changes == []


@pytest.mark.engines("sqlite", "postgres")
def test_all_or_nothing_when_a_later_account_fails(
    acme_db: Target, ctx_as: As, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = acme_db
    ctx = ctx_as(OWNER)
    text = f"""version = 1
[accounts.{ACME}.collaborators]
"a@example.com" = "soporte"
[accounts.second-one]
name = "Second"
tax_id = {{ country = "BR", number = "{CNPJ}" }}
[accounts.second-one.profiles.ab]
permissions = ["products.view"]
[accounts.second-one.collaborators]
"b@example.com" = "ab"
""".encode()
    real = collaborators.invite_many_in
    calls: list[str] = []

    def failing(s, acct, items):  # type: ignore[no-untyped-def]
        calls.append(acct.slug)
        if acct.slug == "second-one":
            raise RuntimeError("disk on fire")
        return real(s, acct, items)

    monkeypatch.setattr(collaborators, "invite_many_in", failing)
    before = dump(db)
    with pytest.raises(RuntimeError):
        commands.apply_file(ctx, text, "t.toml", team.Options())
    assert calls == [ACME, "second-one"]  # the first account's invite was written...
    assert dump(db) == before  # ...and rolled back with everything else


# -- the property ---------------------------------------------------------------------------

_ops = st.lists(
    st.tuples(
        st.sampled_from(["invite", "accept", "decline", "remove", "wait"]),
        st.sampled_from(PEOPLE),
        st.sampled_from(["soporte", "tecnico"]),
    ),
    max_size=10,
)
_profile_specs = st.dictionaries(
    st.sampled_from(PRESETS),
    st.tuples(
        st.booleans(),
        st.lists(st.sampled_from(["products.view", "Retirar", "receipts.send"]), max_size=2),
    ),
    max_size=3,
)
_people = st.dictionaries(st.sampled_from(PEOPLE), st.sampled_from(PRESETS), max_size=6)


def _reach(ctx: Context, clock: FakeClock, ops: list[tuple[str, str, str]]) -> None:
    for op, email, profile in ops:
        who = Context(db=ctx.db, actor=email, clock=clock)
        try:
            if op == "invite":
                collaborators.invite(ctx, email, profile=profile, account=ACME)
            elif op == "accept":
                collaborators.accept(who, ACME)
            elif op == "decline":
                collaborators.decline(who, ACME)
            elif op == "remove":
                collaborators.remove(ctx, email, account=ACME)
            else:
                clock.advance(days=4)
        except ColabError:
            pass  # not reachable from here: the store stays as it was


def _file(specs: dict[str, tuple[bool, list[str]]], people: dict[str, str], manage: bool) -> bytes:
    lines = ["version = 1", f"[accounts.{ACME}]", 'name = "Acme Team"']
    for name, (from_preset, extra) in specs.items():
        lines.append(f"[accounts.{ACME}.profiles.{name}]")
        if from_preset:
            lines.append(f'preset = "{name}"')
        lines.append(
            "permissions = [" + ", ".join(f'"{p}"' for p in extra or ["products.view"]) + "]"
        )
    if manage:
        lines.append(f"[accounts.{ACME}.collaborators]")
        lines += [f'"{email}" = "{profile}"' for email, profile in people.items()]
    return ("\n".join(lines) + "\n").encode()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=_ops,
    specs=_profile_specs,
    people=_people,
    manage=st.booleans(),
    prune=st.booleans(),
    reinvite=st.booleans(),
)
def test_apply_then_plan_and_export_then_plan_find_nothing(
    ops: list[tuple[str, str, str]],
    specs: dict[str, tuple[bool, list[str]]],
    people: dict[str, str],
    manage: bool,
    prune: bool,
    reinvite: bool,
) -> None:
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.db"
        ctx = _store(db, clock)
        _reach(ctx, clock, ops)
        exported = team.export(ctx, [ACME]).encode()
        assert commands.plan(ctx, exported, "export.toml", team.Options()).changes == []
        options = team.Options(prune=prune, reinvite=reinvite)
        raw = _file(specs, people, manage)
        before = dump(db)
        try:
            commands.apply_file(ctx, raw, "t.toml", options, max_removals=100)
        except ColabError:
            assert dump(db) == before  # refused: the store as it was
            return
        after = commands.plan(ctx, raw, "t.toml", options)
        assert after.changes == [], [c.as_json() for c in after.changes]
        exported = team.export(ctx, [ACME]).encode()
        assert commands.plan(ctx, exported, "export.toml", options).changes == []
