"""core/team/planner.py: every change a team file asks of the store, account by account,
in docs/team-file.md's order, and the refusals that come before any is made: an account
that is someone else's, an owner who is not the actor, the legal-entity gate, a profile
nobody declared, a date already past, a profile deleted under its holders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, CAIO, CNPJ, OWNER, ZED, FakeClock

from colabctl.core import collaborators, users
from colabctl.core.session import Context, reading
from colabctl.core.team.model import Change, Options, Plan
from colabctl.core.team.planner import compute
from colabctl.core.team.state import read
from colabctl.errors import Conflict, Forbidden, Invalid
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]
HEAD = f"version = 1\n[accounts.{ACME}.collaborators]\n"


def planned(ctx: Context, text: str, *, prune: bool = False, reinvite: bool = False) -> Plan:
    options = Options(prune=prune, reinvite=reinvite, consequences=False)
    with reading(ctx) as s:
        return compute(s, read(s, text.encode(), "t.toml"), options)


def kinds(plan: Plan) -> list[tuple[str, str]]:
    return [(c.kind, c.target) for c in plan.changes]


def test_a_file_as_the_store_is_plans_nothing(acme_db: Target, ctx_as: As) -> None:
    found = planned(ctx_as(OWNER), HEAD + f'"{BOB}" = "soporte"\n')
    assert (found.changes, found.warnings, found.notes) == ([], [], [])


def test_changes_come_in_the_order_of_their_kinds(acme_db: Target, ctx_as: As) -> None:
    text = f"""version = 1
[accounts.{ACME}]
name = "Acme Renamed"
[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"
[accounts.{ACME}.profiles.extra]
permissions = ["products.view"]
[accounts.{ACME}.collaborators]
"{BEA}" = "extra"
"{BOB}" = "tecnico"
"""
    assert kinds(planned(ctx_as(OWNER), text)) == [
        ("rename-account", ACME),
        ("create-profile", "extra"),
        ("invite", BEA),
        ("set-profile", BOB),
    ]


def test_who_is_not_in_the_file_is_a_note_or_with_prune_a_removal(
    acme_db: Target, ctx_as: As
) -> None:
    kept = planned(ctx_as(OWNER), HEAD)
    assert kept.changes == []
    assert [str(n) for n in kept.notes] == [
        f"{ACME}: {BOB} (active, soporte) is not in the file: would remove with --prune"
    ]
    pruned = planned(ctx_as(OWNER), HEAD, prune=True)
    assert [(c.kind, c.target, c.before) for c in pruned.changes] == [
        ("remove", BOB, {"status": "active", "profile": "soporte"})
    ]


def test_someone_who_declined_is_invited_again_only_if_asked(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(BEA), ACME)
    text = HEAD + f'"{BOB}" = "soporte"\n"{BEA}" = "tecnico"\n'
    held = planned(ctx_as(OWNER), text)
    assert held.changes == []
    assert "not invited again without --reinvite" in str(held.warnings[0])
    assert kinds(planned(ctx_as(OWNER), text, reinvite=True)) == [("reinvite", BEA)]


def test_an_expired_invitation_is_renewed_or_made_anew(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    clock.advance(days=8)
    same = HEAD + f'"{BOB}" = "soporte"\n"{BEA}" = "tecnico"\n'
    other = HEAD + f'"{BOB}" = "soporte"\n"{BEA}" = "soporte"\n'
    assert kinds(planned(ctx_as(OWNER), same)) == [("renew", BEA)]
    assert kinds(planned(ctx_as(OWNER), other)) == [("invite", BEA)]  # not the old terms


def test_an_unregistered_owner_named_in_the_file_is_registered_first(
    tmp_path: Path, clock: FakeClock
) -> None:
    ctx = Context(db=str(tmp_path / "new.db"), actor=ZED, clock=clock)
    text = f'version = 1\n[accounts.zeds]\nname = "Zed"\nowner = "{ZED}"\n'
    assert kinds(planned(ctx, text)) == [("register-user", ZED), ("create-account", "zeds")]
    with pytest.raises(Forbidden) as caught:
        planned(ctx, 'version = 1\n[accounts.zeds]\nname = "Zed"\n')
    assert caught.value.message == f"{ZED} is not a registered user"


def test_an_account_of_someone_else_is_refused_as_account_create_would(
    acme_db: Target, ctx_as: As
) -> None:
    users.register(ctx_as(None), ZED)
    with pytest.raises(Forbidden) as collaborator:
        planned(ctx_as(BOB), HEAD)
    assert collaborator.value.message == f"only the owner of {ACME} ({OWNER}) can do that"
    with pytest.raises(Conflict) as outsider:
        planned(ctx_as(ZED), HEAD)
    assert outsider.value.message == f'account "{ACME}" already exists'
    with pytest.raises(Forbidden) as named:
        planned(ctx_as(BOB), f'version = 1\n[accounts.x-y]\nname = "X"\nowner = "{OWNER}"\n')
    assert named.value.message == (
        f"t.toml, line 2: the owner of x-y is {OWNER}, but you are {BOB}:"
        " a team file is applied by the owner it names"
    )


def test_a_new_account_needs_a_name_and_profiles_a_tax_id(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(Invalid) as unnamed:
        planned(ctx_as(OWNER), "version = 1\n[accounts.new-one]\n")
    assert unnamed.value.message == (
        "t.toml, line 2: account new-one does not exist yet: give its `name` to create it"
    )
    gated = (
        'version = 1\n[accounts.new-one]\nname = "N"\n'
        '[accounts.new-one.profiles.ab]\npermissions = ["products.view"]\n'
    )
    with pytest.raises(Forbidden) as caught:
        planned(ctx_as(OWNER), gated)
    assert caught.value.message == (
        "t.toml, line 2: new-one is not a legal entity: profiles and collaborators need a"
        " business tax ID"
    )
    legal = gated.replace(
        'name = "N"\n', f'name = "N"\ntax_id = {{ country = "BR", number = "{CNPJ}" }}\n'
    )
    assert kinds(planned(ctx_as(OWNER), legal)) == [
        ("create-account", "new-one"),
        ("create-profile", "ab"),
    ]


def test_a_member_needs_a_known_profile_and_a_date_to_come(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(Invalid) as unknown:
        planned(ctx_as(OWNER), HEAD + f'"{CAIO}" = "nope"\n')
    assert unknown.value.message == (
        f't.toml, line 3: profile "nope" is neither declared in the file nor a profile of {ACME}'
    )
    with pytest.raises(Invalid) as past:
        planned(
            ctx_as(OWNER),
            HEAD + f'"{CAIO}" = {{ profile = "soporte", access_until = 2020-01-01 }}\n',
        )
    assert past.value.message.startswith(
        "t.toml, line 3: access_until 2020-01-01T23:59:59Z is not in the future"
    )


def test_a_profile_is_deleted_only_once_nobody_holds_it(acme_db: Target, ctx_as: As) -> None:
    only_tecnico = f"""version = 1
[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"
[accounts.{ACME}.collaborators]
"{BOB}" = "{{profile}}"
"""
    with pytest.raises(Conflict) as held:
        planned(ctx_as(OWNER), only_tecnico.replace("{profile}", "soporte"), prune=True)
    assert held.value.message == (
        "t.toml: profile soporte would be deleted but 1 person would still hold it"
        f" or be assigned to it: {BOB}"
    )
    moved = planned(ctx_as(OWNER), only_tecnico.replace("{profile}", "tecnico"), prune=True)
    assert [(c.kind, c.target) for c in moved.changes] == [
        ("set-profile", BOB),
        ("delete-profile", "soporte"),
    ]
    assert isinstance(moved.changes[0], Change)
