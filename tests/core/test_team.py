"""Team as code in core (docs/team-file.md): the file's values, all or nothing when an
account fails after others were planned and partly written, and the property that apply
then plan, and export then plan, find no changes for any reachable store and file."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CNPJ, OWNER, FakeClock, dump
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colabctl.core import accounts, collaborators, profiles, team
from colabctl.core.presets import find_preset
from colabctl.core.session import Context
from colabctl.core.team.file import parse_team_file
from colabctl.core.users import register
from colabctl.errors import ColabError, Invalid
from colabctl.store.engine import Target

ACME = "acme-cursos"
PEOPLE = [f"p{i}@example.com" for i in range(6)]
PRESETS = ["soporte", "tecnico", "financiero"]


def test_values_of_the_file() -> None:
    text = b"""version = 1
[accounts.acme-cursos.profiles.soporte]
preset = "soporte"
permissions = ["Retirar"]
[accounts.acme-cursos.profiles.own]
permissions = ["products.view"]
description = "  Own  "
[accounts.acme-cursos.collaborators]
"Bea@Example.COM" = { profile = "own", access_until = 2027-03-31, expires_in = "48h" }
"cai@example.com" = { profile = "own", access_until = 2027-03-31T10:00:00Z }
"""
    parsed = parse_team_file(text, "t.toml")
    (acct,) = parsed.accounts
    assert acct.profiles is not None and acct.collaborators is not None
    soporte = acct.profiles["soporte"]
    assert soporte.permissions[-1] == "withdrawal.withdraw"  # a label, stored as its id
    assert soporte.description == find_preset("soporte").description
    assert acct.profiles["own"].description == "Own"
    bea = acct.collaborators["bea@example.com"]
    assert bea.email == "Bea@example.com"  # normalised: domain lowered, local part kept
    assert bea.access_until == "2027-03-31T23:59:59Z"
    assert bea.expires_in == timedelta(hours=48)
    assert acct.collaborators["cai@example.com"].access_until == "2027-03-31T10:00:00Z"
    assert acct.name is None and acct.owner is None and acct.tax is None


@pytest.mark.parametrize(
    "body",
    [
        "version = 2\n",
        "version = 1\nfoo = 1\n",
        'version = 1\n[accounts.ab]\nname = ""\n',
        'version = 1\n[accounts.ab]\ntax_id = "123"\n',
        'version = 1\n[accounts.ab]\ntax_id = { country = "BR", number = "123.456.789-09" }\n',
        "version = 1\n[accounts.ab.profiles.cd]\n",
        'version = 1\n[accounts.ab.profiles.cd]\npreset = "nope"\n',
        'version = 1\n[accounts.ab.collaborators]\n"x@example.com" = 3\n',
        "version = 1\n[accounts.ab.collaborators]\n"
        '"x@example.com" = { profile = "cd", expires_in = "91d" }\n',
    ],
)
def test_bad_values_are_invalid(body: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_team_file(body.encode(), "t.toml")
    assert caught.value.message.startswith("t.toml")


# -- a store to work on -----------------------------------------------------------------------


def _store(path: Target, clock: FakeClock) -> Context:
    ctx = Context(db=str(path), actor=OWNER, clock=clock)
    register(ctx, OWNER)
    accounts.create(ctx, ACME, "Acme", tax_id=CNPJ, country="BR")
    profiles.create(ctx, "soporte", preset="soporte", account=ACME)
    profiles.create(ctx, "tecnico", preset="tecnico", account=ACME)
    return ctx


@pytest.mark.engines("sqlite", "postgres")
def test_all_or_nothing_when_a_later_account_fails(
    db_path: Target, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_path
    ctx = _store(db, clock)
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
        team.apply_file(ctx, text, "t.toml", team.Options())
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
        assert team.plan(ctx, exported, "export.toml", team.Options()).changes == []
        options = team.Options(prune=prune, reinvite=reinvite)
        raw = _file(specs, people, manage)
        before = dump(db)
        try:
            team.apply_file(ctx, raw, "t.toml", options, max_removals=100)
        except ColabError:
            assert dump(db) == before  # refused: the store as it was
            return
        after = team.plan(ctx, raw, "t.toml", options)
        assert after.changes == [], [c.as_json() for c in after.changes]
        exported = team.export(ctx, [ACME]).encode()
        assert team.plan(ctx, exported, "export.toml", options).changes == []
