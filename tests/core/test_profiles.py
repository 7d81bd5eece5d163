"""core/profiles.py: profiles, named sets of permissions in one account: created from a
preset, a file or permissions (never an owner-only one, never none), edited, shown with
their holders, deleted only once their holders are moved (--reassign); the owner's alone,
and only in a legal entity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ACME, BEA, BOB, CAIO, OWNER, audit_trail, dump, preset_ids

from colabctl.core import accounts, collaborators, profiles
from colabctl.core.catalog import catalog
from colabctl.core.presets import dump_preset, find_preset
from colabctl.core.session import Context
from colabctl.errors import Conflict, Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_a_profile_from_a_preset_and_more(acme_db: Target, ctx_as: As) -> None:
    made = profiles.create(
        ctx_as(OWNER),
        "financiero",
        preset="financiero",
        perms=["Retirar", "products.view"],
        account=ACME,
    )
    preset = find_preset("financiero")
    assert made.permissions == catalog().ordered(
        {*preset.permissions, "withdrawal.withdraw", "products.view"}
    )
    assert (made.description, made.title, made.collaborators) == (
        preset.description,
        preset.title,
        [],
    )
    (row,) = [
        r for r in audit_trail(acme_db, "action", "target", "details") if r[1] == "financiero"
    ]
    assert row[0] == "profile.create"
    assert row[2]["permissions"] == made.permissions and row[2]["preset"] == "financiero"


def test_a_profile_from_a_file(acme_db: Target, ctx_as: As, tmp_path: Path) -> None:
    source = tmp_path / "mine.toml"
    source.write_text(dump_preset(find_preset("tecnico")), encoding="utf-8")
    made = profiles.create(
        ctx_as(OWNER), "copy", from_file=source, description="Mine", account=ACME
    )
    assert (made.permissions, made.description) == (preset_ids("tecnico"), "Mine")


@pytest.mark.parametrize(
    ("name", "options", "error", "message"),
    [
        ("empty", {}, Invalid, "a profile needs permissions"),
        (
            "bank",
            {"perms": ["account.bank"]},
            Invalid,
            "account.bank is owner-only: no profile can hold it",
        ),
        ("Bad Name", {"perms": ["products.view"]}, Invalid, 'profile name "Bad Name" contains "B"'),
        (
            "soporte",
            {"perms": ["products.view"]},
            Conflict,
            f'profile "soporte" already exists in {ACME}',
        ),
        ("x-y", {"preset": "nope"}, NotFound, 'no preset named "nope"'),
    ],
)
def test_a_profile_that_cannot_be_is_refused(
    acme_db: Target,
    ctx_as: As,
    name: str,
    options: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    before = dump(acme_db)
    with pytest.raises(error) as caught:
        profiles.create(ctx_as(OWNER), name, account=ACME, **options)  # type: ignore[arg-type]
    assert str(getattr(caught.value, "message", "")).startswith(message)
    assert dump(acme_db) == before


def test_only_the_owner_of_a_legal_entity_makes_profiles(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(Forbidden, match="only the owner"):
        profiles.create(ctx_as(BOB), "mine", perms=["products.view"], account=ACME)
    accounts.create(ctx_as(OWNER), "plain", "Plain")
    with pytest.raises(Forbidden, match="plain is not a legal entity"):
        profiles.create(ctx_as(OWNER), "mine", perms=["products.view"], account="plain")


def test_the_list_counts_active_and_pending_holders(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="soporte", account=ACME)
    listed = profiles.list_profiles(ctx_as(BOB), ACME)
    assert [(p.name, p.active, p.pending) for p in listed] == [
        ("soporte", 1, 1),
        ("tecnico", 0, 0),
    ]
    assert listed[0].permissions == len(preset_ids("soporte"))


def test_show_lists_the_permissions_and_the_holders(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), BEA, profile="soporte", account=ACME)
    shown = profiles.show(ctx_as(BOB), "soporte", ACME)
    assert (shown.permissions, shown.collaborators) == (preset_ids("soporte"), [BEA, BOB])
    assert shown.as_json()["account"] == ACME
    with pytest.raises(NotFound) as typo:
        profiles.show(ctx_as(BOB), "suporte", ACME)
    assert (
        typo.value.hint == f"did you mean soporte? (`colabctl profile list -a {ACME}` shows them)"
    )


def test_edit_adds_and_removes_and_says_what_it_left(acme_db: Target, ctx_as: As) -> None:
    done = profiles.edit(
        ctx_as(OWNER),
        "soporte",
        add=["tools.listboss", "products.view"],
        remove=["purchases.search", "withdrawal.withdraw"],
        account=ACME,
    )
    assert done.changed
    assert done.notes == [
        "products.view was already in soporte",
        "withdrawal.withdraw was not in soporte",
    ]
    assert (
        "tools.listboss" in done.profile.permissions
        and "purchases.search" not in done.profile.permissions
    )
    assert audit_trail(acme_db, "action", "details")[-1] == (
        "profile.edit",
        {"added": ["tools.listboss"], "removed": ["purchases.search"], "description": None},
    )
    assert profiles.show(ctx_as(OWNER), "soporte", ACME).permissions == done.profile.permissions
    same = profiles.edit(ctx_as(OWNER), "soporte", add=["tools.listboss"], account=ACME)
    assert not same.changed


def test_edit_refuses_a_contradiction_and_an_empty_profile(acme_db: Target, ctx_as: As) -> None:
    before = dump(acme_db)
    with pytest.raises(Invalid) as both:
        profiles.edit(
            ctx_as(OWNER), "soporte", add=["products.view"], remove=["products.view"], account=ACME
        )
    assert both.value.message == "the same permission is both added and removed: products.view"
    with pytest.raises(Invalid) as emptied:
        profiles.edit(ctx_as(OWNER), "tecnico", remove=preset_ids("tecnico"), account=ACME)
    assert emptied.value.message == "that would leave tecnico with no permissions"
    assert emptied.value.hint == "delete it instead: `colabctl profile delete tecnico`"
    assert dump(acme_db) == before


def test_a_profile_with_holders_is_deleted_only_with_them_moved(
    acme_db: Target, ctx_as: As
) -> None:
    collaborators.invite(ctx_as(OWNER), CAIO, profile="soporte", account=ACME)  # pending
    before = dump(acme_db)
    with pytest.raises(Conflict) as held:
        profiles.delete(ctx_as(OWNER), "soporte", account=ACME)
    assert held.value.message == (
        f'profile "soporte" is held by or assigned to 2 people: {BOB} (active), {CAIO} (pending)'
    )
    assert held.value.hint == "move them first: `colabctl profile delete soporte --reassign OTHER`"
    with pytest.raises(
        Invalid, match="cannot reassign the collaborators of soporte to soporte itself"
    ):
        profiles.delete(ctx_as(OWNER), "soporte", reassign="soporte", account=ACME)
    with pytest.raises(NotFound, match='no profile "nope"'):
        profiles.delete(ctx_as(OWNER), "soporte", reassign="nope", account=ACME)
    assert dump(acme_db) == before
    assert profiles.delete(ctx_as(OWNER), "soporte", reassign="tecnico", account=ACME) == [
        BOB,
        CAIO,
    ]
    assert profiles.show(ctx_as(OWNER), "tecnico", ACME).collaborators == [BOB, CAIO]
    assert audit_trail(acme_db, "action", "details")[-1] == (
        "profile.delete",
        {"reassigned_to": "tecnico", "holders": [BOB, CAIO], "assigned": []},
    )


def test_an_unheld_profile_is_simply_deleted(acme_db: Target, ctx_as: As) -> None:
    assert profiles.delete(ctx_as(OWNER), "tecnico", account=ACME) == []
    assert [p.name for p in profiles.list_profiles(ctx_as(OWNER), ACME)] == ["soporte"]


def test_an_export_is_the_profile_as_a_preset(acme_db: Target, ctx_as: As) -> None:
    exported = profiles.export(ctx_as(BOB), "soporte", ACME)
    assert (exported.name, list(exported.permissions)) == ("soporte", preset_ids("soporte"))
    assert exported.description == find_preset("soporte").description
