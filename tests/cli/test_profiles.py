"""The catalog, presets and profiles (cli/profiles.py) through the command line."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BOB,
    CARLA,
    DORA,
    ELI,
    PLAIN,
    Cli,
    Failure,
    FakeClock,
    as_json,
    dump,
    exists,
    fails_as_listed,
    failure,
    failure_id,
    intact,
    ok,
    preset_ids,
)

from colabctl.core.catalog import catalog

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

JSON_PERMISSION_KEYS = {"id", "category", "label", "risk", "owner_only"}
JSON_PROFILE_KEYS = {"name", "account", "description", "permissions", "collaborators", "assigned"}


def profile_json(cli: Cli, name: str, account: str = ACME) -> dict[str, Any]:
    found: dict[str, Any] = as_json(cli("profile", "show", name, "-a", account, "--json"))
    return found


# -- every failure, one table ------------------------------------------------------------------


FAILURES: list[Failure] = [
    (["permissions", "--category", "bogus"], 6, "bogus"),
    (["permissions", "--lang", "de"], 2, None),  # an unknown language: a usage error
    (["preset", "show", "nope"], 3, "nope"),
    (["preset", "show", "nope", "--json"], 3, "nope"),
    (  # alternatives: a usage error (2), as for every pair of options
        ["profile", "create", "otro", "--preset", "soporte", "--from", "{export}", "-a", ACME],
        2,
        None,
    ),
    (
        ["profile", "create", "otro", "--perm", "purchases.request_refund", "-a", ACME],
        6,
        "did you mean",
    ),
    (["profile", "create", "otro", "--perm", "account.bank", "-a", ACME], 6, "account.bank"),
    (["profile", "create", "otro", "--perm", "Datos bancarios", "-a", ACME], 6, "account.bank"),
    (
        ["profile", "create", "otro", "--preset", "soporte", "--perm", "team.manage", "-a", ACME],
        6,
        "team.manage",
    ),
    (["profile", "create", "soporte", "--preset", "soporte", "-a", ACME], 4, "soporte"),
    (["profile", "create", "soporte", "--perm", "products.view", "-a", ACME], 4, "soporte"),
    (
        ["--as", BOB, "profile", "create", "otro", "--preset", "soporte", "-a", ACME],
        3,
        "no account",
    ),
    (
        ["--as", CARLA, "profile", "create", "otro", "--preset", "soporte", "-a", ACME],
        3,
        "no account",
    ),
    (["profile", "create", "otro", "--preset", "soporte", "-a", PLAIN], 5, "account set-tax-id"),
    (["profile", "create", "otro", "--preset", "nope", "-a", ACME], 3, "nope"),
    (["profile", "create", "otro", "-a", ACME], 6, None),
    (["profile", "create", "Otro", "--preset", "soporte", "-a", ACME], 6, None),
    (["profile", "create", "otro", "--preset", "soporte", "-a", "nope"], 3, "nope"),
    (["profile", "create", "otro", "--from", "{bad_toml}", "-a", ACME], 6, "{bad_toml}"),
    (["profile", "create", "otro", "--from", "{owner_only}", "-a", ACME], 6, "account.bank"),
    (["profile", "list"], 6, ACME),
    (["profile", "show", "nope", "-a", ACME], 3, "nope"),
    (["--as", CARLA, "profile", "show", "soporte", "-a", ACME], 3, "no account"),
    (["--as", CARLA, "profile", "list", "-a", ACME], 3, "no account"),
    (["profile", "edit", "soporte", "--add", "account.bank", "-a", ACME], 6, "account.bank"),
    (["profile", "edit", "soporte", "--add", "Datos de cuenta", "-a", ACME], 6, "account.data"),
    (["profile", "edit", "soporte", "--add", "bogus.perm", "-a", ACME], 6, "bogus.perm"),
    (["profile", "edit", "soporte", "--remove", "bogus.perm", "-a", ACME], 6, "bogus.perm"),
    (
        ["--as", BOB, "profile", "edit", "soporte", "--add", "receipts.send", "-a", ACME],
        3,
        "no account",
    ),
    (
        ["--as", CARLA, "profile", "edit", "soporte", "--description", "x", "-a", ACME],
        3,
        "no account",
    ),
    (["profile", "edit", "nope", "--add", "receipts.send", "-a", ACME], 3, "nope"),
    (["profile", "delete", "soporte", "-a", ACME], 4, BOB),
    (["profile", "delete", "soporte", "--reassign", "nope", "-a", ACME], 3, "nope"),
    (["profile", "delete", "tecnico", "--reassign", "nope", "-a", ACME], 3, "nope"),
    (["--as", BOB, "profile", "delete", "tecnico", "-a", ACME], 3, "no account"),
    (["profile", "delete", "nope", "-a", ACME], 3, "nope"),
    (["profile", "export", "nope", "-a", ACME], 3, "nope"),
    (["--as", CARLA, "profile", "export", "soporte", "-a", ACME], 3, "no account"),
]


@pytest.mark.parametrize("row", FAILURES, ids=failure_id)
def test_failure(cli: Cli, db_path: Path, world: dict[str, str], row: Failure) -> None:
    fails_as_listed(cli, db_path, world, *row)


# -- the catalog ---------------------------------------------------------------------------


def test_permissions_json_shape(cli: Cli, db_path: Path) -> None:
    perms = as_json(cli("permissions", "--json"))
    assert isinstance(perms, list)
    assert len(perms) == 41
    for perm in perms:
        assert set(perm) >= JSON_PERMISSION_KEYS, perm
        assert isinstance(perm["owner_only"], bool)
        assert isinstance(perm["label"], str)
        assert perm["risk"] in {"low", "medium", "high", "owner"}
    assert {p["id"] for p in perms if p["owner_only"]} == {
        "account.data",
        "account.bank",
        "team.manage",
        "account.ownership",
    }
    assert {p["category"] for p in perms if p["owner_only"]} == {"owner"}
    assert [p["id"] for p in perms] == [p.id for p in catalog().permissions]
    # LANG=C.UTF-8 and nothing else: en
    assert {p["id"]: p["label"] for p in perms} == {
        p.id: p.label("en") for p in catalog().permissions
    }
    assert not exists(db_path)


def test_permissions_lang_es_gives_the_seed_labels(cli: Cli) -> None:
    labels = {p["id"]: p["label"] for p in as_json(cli("permissions", "--json", "--lang", "es"))}
    assert labels["purchases.request_refunds"] == "Solicitar Reembolsos"
    assert labels["purchases.search_by_period"] == "Buscar Ventas por Período"
    assert labels["team.manage"] == "Gestionar la Central de Colaboradores"


@pytest.mark.parametrize(
    ("env", "args", "lang"),
    [
        ({"COLABCTL_LANG": "pt"}, [], "pt"),
        ({"COLABCTL_LANG": "pt"}, ["--lang", "es"], "es"),
        ({"LANG": "es_MX.UTF-8"}, [], "es"),
        ({"LANG": "pt_BR.UTF-8", "COLABCTL_LANG": "en"}, [], "en"),
    ],
)
def test_permissions_language_precedence(
    cli: Cli, env: dict[str, str], args: list[str], lang: str
) -> None:
    perms = as_json(cli("permissions", "--json", *args, env=env))
    assert {p["id"]: p["label"] for p in perms} == {
        p.id: p.label(lang) for p in catalog().permissions
    }


@pytest.mark.parametrize("category", ["purchases", "Compras", "PURCHASES", "Purchases"])
def test_permissions_category_filter(cli: Cli, category: str) -> None:
    perms = as_json(cli("permissions", "--category", category, "--json"))
    assert [p["id"] for p in perms] == [
        "purchases.resend_notifications",
        "purchases.resend_emails",
        "purchases.issue_cash_payments",
        "purchases.request_refunds",
        "purchases.change_buyer_email",
        "purchases.search",
        "purchases.search_by_period",
    ]


def test_permissions_category_owner(cli: Cli) -> None:
    perms = as_json(cli("permissions", "--category", "owner", "--json"))
    assert len(perms) == 4
    assert all(p["owner_only"] for p in perms)


def test_permissions_table(cli: Cli) -> None:
    result = ok(cli("permissions"))
    for perm in catalog().permissions:
        assert perm.id in result.stdout
        assert perm.label("en") in result.stdout
    spanish = ok(cli("permissions", "--lang", "es")).stdout
    assert "Solicitar Reembolsos" in spanish
    assert "Mis Productos" in spanish  # the category's section row
    assert "Solo el titular" in spanish


def test_permissions_table_for_one_category(cli: Cli) -> None:
    result = ok(cli("permissions", "--category", "tools", "--lang", "es"))
    assert "tools.listboss" in result.stdout
    assert "Gestionar Listboss" in result.stdout
    assert "products.view" not in result.stdout
    assert "purchases." not in result.stdout


# -- presets -------------------------------------------------------------------------------


def test_preset_list(cli: Cli, db_path: Path) -> None:
    presets = as_json(cli("preset", "list", "--json"))
    sizes = {p["name"]: len(p["permissions"]) for p in presets}
    assert sizes == {"soporte": 10, "tecnico": 10, "financiero": 10, "gerente-afiliados": 8}
    table = ok(cli("preset", "list"))
    for name in sizes:
        assert name in table.stdout
    assert not exists(db_path)


def test_preset_show(cli: Cli) -> None:
    shown = as_json(cli("preset", "show", "gerente-afiliados", "--json"))
    assert shown["name"] == "gerente-afiliados"
    assert len(shown["permissions"]) == 8
    assert "others.approve_affiliates" in shown["permissions"]
    table = ok(cli("preset", "show", "gerente-afiliados", "--lang", "es"))
    assert "others.approve_affiliates" in table.stdout
    assert "Aprobar Afiliados" in table.stdout


def test_unknown_preset_is_not_found_and_creates_no_store(cli: Cli, db_path: Path) -> None:
    _, hint = failure(cli("preset", "show", "nope"), 3)
    assert hint is not None
    assert "soporte" in hint
    assert not exists(db_path)


# -- profile create ------------------------------------------------------------------------


def test_profile_from_a_preset(cli: Cli, legal_account: str) -> None:
    ok(cli("profile", "create", "financiero", "--preset", "financiero", "-a", ACME))
    shown = profile_json(cli, "financiero")
    assert sorted(shown["permissions"]) == sorted(preset_ids("financiero"))
    assert len(shown["permissions"]) == 10
    assert shown["collaborators"] == []


def test_profile_from_a_preset_plus_perms(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "create",
            "soporte-plus",
            "--preset",
            "soporte",
            "--perm",
            "Enviar recibos",
            "--perm",
            "products.view",
            "-a",
            ACME,
        )
    )
    perms = profile_json(cli, "soporte-plus")["permissions"]
    assert sorted(perms) == sorted([*preset_ids("soporte"), "receipts.send"])


def test_profile_from_labels_in_any_language(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "create",
            "reembolsos",
            "--perm",
            "solicitar reembolsos",  # es, lower case
            "--perm",
            "Ver Produtos",  # pt
            "--perm",
            "View products",  # en, same permission again
            "--perm",
            "BUSCAR VENTAS POR PERIODO",  # es, no accent
            "--description",
            "Refunds only",
            "-a",
            ACME,
        )
    )
    shown = profile_json(cli, "reembolsos")
    assert sorted(shown["permissions"]) == [
        "products.view",
        "purchases.request_refunds",
        "purchases.search_by_period",
    ]
    assert shown["description"] == "Refunds only"


@pytest.mark.parametrize("via", ["file", "stdout"])
def test_profile_from_an_exported_file(
    cli: Cli, legal_account: str, tmp_path: Path, via: str
) -> None:
    path = tmp_path / "exported.toml"
    if via == "file":
        ok(cli("profile", "export", "tecnico", "-o", str(path), "-a", ACME))
    else:
        path.write_text(ok(cli("profile", "export", "tecnico", "-a", ACME)).stdout, "utf-8")
    ok(cli("profile", "create", "tecnico-copia", "--from", str(path), "-a", ACME))
    copy, original = profile_json(cli, "tecnico-copia"), profile_json(cli, "tecnico")
    assert copy["name"] == "tecnico-copia"  # the file's own name is ignored
    assert sorted(copy["permissions"]) == sorted(original["permissions"])
    assert copy["description"] == original["description"]
    names = [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))]
    assert "tecnico" in names
    assert "tecnico-copia" in names


def test_profile_from_a_file_plus_perms(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text('name = "ignored"\npermissions = ["Ver Productos"]\n', "utf-8")
    ok(cli("profile", "create", "mini", "--from", str(path), "--perm", "receipts.send", "-a", ACME))
    assert sorted(profile_json(cli, "mini")["permissions"]) == ["products.view", "receipts.send"]
    assert [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))].count(
        "ignored"
    ) == 0


def test_unknown_permission_suggests_the_closest(
    cli: Cli, legal_account: str, unchanged: Callable[[], None]
) -> None:
    error, hint = failure(
        cli("profile", "create", "otro", "--perm", "Solicitar Reembolso", "-a", ACME), 6
    )
    assert "Solicitar Reembolso" in error
    assert hint is not None
    assert "did you mean" in hint
    assert "purchases.request_refunds" in hint
    unchanged()


def test_legal_entity_gate_names_set_tax_id(cli: Cli, ana: str, db_path: Path) -> None:
    ok(cli("account", "create", PLAIN, "--name", "Acme Personal"))
    before = dump(db_path)
    for args in (
        ["profile", "create", "soporte", "--preset", "soporte", "-a", PLAIN],
        ["profile", "create", "soporte", "--perm", "products.view"],  # the only account
    ):
        _, hint = failure(cli(*args), 5)
        assert hint is not None
        assert "account set-tax-id" in hint
    assert dump(db_path) == before


# -- profile list / show -------------------------------------------------------------------


def test_profile_list_json(cli: Cli, legal_account: str) -> None:
    found = as_json(cli("profile", "list", "-a", ACME, "--json"))
    assert isinstance(found, list)
    assert sorted(p["name"] for p in found) == ["soporte", "tecnico"]
    table = ok(cli("profile", "list", "-a", ACME))
    assert "soporte" in table.stdout
    assert "tecnico" in table.stdout


def test_profile_list_uses_the_only_account(cli: Cli, legal_account: str) -> None:
    found = as_json(cli("profile", "list", "--json"))
    assert sorted(p["name"] for p in found) == ["soporte", "tecnico"]


def test_profile_show_json_shape(cli: Cli, invited: str) -> None:
    shown = profile_json(cli, "soporte")
    assert set(shown) >= JSON_PROFILE_KEYS
    assert shown["name"] == "soporte"
    assert shown["account"] == ACME
    assert isinstance(shown["description"], str)
    assert sorted(shown["permissions"]) == sorted(preset_ids("soporte"))
    assert shown["collaborators"] == [BOB]  # pending holders hold the profile too
    assert profile_json(cli, "tecnico")["collaborators"] == []


def test_profile_show_for_an_active_collaborator(cli: Cli, active: str) -> None:
    shown = as_json(cli("--as", BOB, "profile", "show", "soporte", "-a", ACME, "--json"))
    assert shown["collaborators"] == [BOB]
    listed = as_json(cli("--as", BOB, "profile", "list", "-a", ACME, "--json"))
    assert sorted(p["name"] for p in listed) == ["soporte", "tecnico"]


def test_profile_show_table(cli: Cli, legal_account: str) -> None:
    result = ok(cli("profile", "show", "soporte", "-a", ACME, "--lang", "es"))
    for perm_id in preset_ids("soporte"):
        assert perm_id in result.stdout
    assert "Solicitar Reembolsos" in result.stdout


# -- profile edit --------------------------------------------------------------------------


def test_profile_edit(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "edit",
            "soporte",
            "--add",
            "Enviar recibos",
            "--add",
            "Withdraw",
            "--remove",
            "products.view",
            "--description",
            "Soporte nivel 2",
            "-a",
            ACME,
        )
    )
    shown = profile_json(cli, "soporte")
    expected = (set(preset_ids("soporte")) | {"receipts.send", "withdrawal.withdraw"}) - {
        "products.view"
    }
    assert set(shown["permissions"]) == expected
    assert shown["description"] == "Soporte nivel 2"


def test_profile_edit_changes_every_holder_at_once(cli: Cli, active: str) -> None:
    assert cli("can", BOB, "receipts.send", "-a", ACME).exit_code == 1
    ok(cli("profile", "edit", "soporte", "--add", "receipts.send", "-a", ACME))
    assert cli("can", BOB, "receipts.send", "-a", ACME).exit_code == 0


def test_profile_edit_that_changes_nothing_writes_nothing(
    cli: Cli, legal_account: str, db_path: Path
) -> None:
    before = dump(db_path)
    ok(cli("profile", "edit", "soporte", "--add", "products.view", "-a", ACME))
    assert dump(db_path) == before


def test_profile_edit_leaving_nothing_is_invalid(
    cli: Cli, legal_account: str, unchanged: Callable[[], None]
) -> None:
    removes = [arg for perm in preset_ids("soporte") for arg in ("--remove", perm)]
    failure(cli("profile", "edit", "soporte", *removes, "-a", ACME), 6)
    unchanged()


# -- profile delete ------------------------------------------------------------------------


def test_profile_delete_unheld(cli: Cli, legal_account: str) -> None:
    ok(cli("profile", "delete", "tecnico", "-a", ACME))
    failure(cli("profile", "show", "tecnico", "-a", ACME), 3)
    assert [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))] == ["soporte"]


@pytest.mark.parametrize("holder", ["invited", "active"])
def test_profile_delete_held_needs_reassign(
    cli: Cli, request: pytest.FixtureRequest, db_path: Path, holder: str
) -> None:
    request.getfixturevalue(holder)
    before = dump(db_path)
    _, hint = failure(cli("profile", "delete", "soporte", "-a", ACME), 4)
    assert hint is not None
    assert "--reassign" in hint
    assert dump(db_path) == before


@pytest.mark.parametrize("holder", ["invited", "active"])
def test_profile_delete_reassign_moves_the_holders(
    cli: Cli, request: pytest.FixtureRequest, holder: str
) -> None:
    request.getfixturevalue(holder)
    ok(cli("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME))
    failure(cli("profile", "show", "soporte", "-a", ACME), 3)
    assert profile_json(cli, "tecnico")["collaborators"] == [BOB]
    member = as_json(cli("collaborator", "show", BOB, "-a", ACME, "--json"))
    assert member["profile"] == "tecnico"
    assert member["status"] == ("pending" if holder == "invited" else "active")


@pytest.fixture
def everyone(cli: Cli, active: str, clock: FakeClock) -> None:
    """soporte's people in every standing, two days on: bob active (a holder); carla's
    invitation expired and dora's access ended (assigned); eli declined (history)."""
    ok(cli("invite", CARLA, "--profile", "soporte", "--expires-in", "1d", "-a", ACME))
    ok(cli("invite", DORA, "--profile", "soporte", "--access-until", "1d", "-a", ACME))
    ok(cli("--as", DORA, "accept", ACME))
    ok(cli("invite", ELI, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", ELI, "decline", ACME))
    clock.advance(days=2)


def test_profile_show_lists_the_holders_and_apart_the_assigned(cli: Cli, everyone: None) -> None:
    shown = profile_json(cli, "soporte")
    assert shown["collaborators"] == [BOB]
    assert shown["assigned"] == [CARLA, DORA]  # expired, ended; eli (declined) is history
    text = ok(cli("profile", "show", "soporte", "-a", ACME)).stdout
    assert f"held by: {BOB}" in text
    assert f"still assigned, their access expired or ended: {CARLA} (expired), {DORA} (ended)" in (
        text
    )
    assert ELI not in text
    assert profile_json(cli, "tecnico")["assigned"] == []
    assert (
        "nobody else is assigned to it" in ok(cli("profile", "show", "tecnico", "-a", ACME)).stdout
    )


def test_profile_delete_refuses_while_anyone_is_assigned(
    cli: Cli, everyone: None, db_path: Path
) -> None:
    ok(cli("collaborator", "remove", BOB, "-a", ACME))  # no holder left: the assigned remain
    before = dump(db_path)
    message, hint = failure(cli("profile", "delete", "soporte", "-a", ACME), 4)
    assert f"{CARLA} (expired), {DORA} (ended)" in message
    assert BOB not in message and ELI not in message
    assert hint is not None and "--reassign" in hint
    assert dump(db_path) == before


def test_profile_delete_reassign_moves_the_assigned_and_verifies(
    cli: Cli, everyone: None, db_path: Path
) -> None:
    result = ok(cli("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME))
    assert "moved 3 collaborators to tecnico" in result.stderr + result.stdout
    shown = profile_json(cli, "tecnico")
    assert (shown["collaborators"], shown["assigned"]) == ([BOB], [CARLA, DORA])
    declined = as_json(cli("collaborator", "show", ELI, "-a", ACME, "--json"))
    assert (declined["status"], declined["profile"]) == ("declined", "soporte")  # history
    intact(db_path)  # the log redoes the move of all three
    ok(cli("invitation", "renew", CARLA, "-a", ACME))  # still assigned: renewal brings her back
    renewed = as_json(cli("collaborator", "show", CARLA, "-a", ACME, "--json"))
    assert (renewed["status"], renewed["profile"]) == ("pending", "tecnico")
    log = as_json(cli("audit", "log", "-a", ACME, "--json"))
    assert any(row["change"] == "soporte deleted; 3 people moved to tecnico" for row in log)
    intact(db_path)


def test_an_invitation_since_replaced_is_history(cli: Cli, everyone: None, db_path: Path) -> None:
    """carla, invited anew to tecnico after her soporte invitation expired, is tecnico's:
    the membership that speaks for her decides, and her old row is history."""
    ok(cli("invite", CARLA, "--profile", "tecnico", "-a", ACME))
    assert profile_json(cli, "soporte")["assigned"] == [DORA]
    assert profile_json(cli, "tecnico")["collaborators"] == [CARLA]
    result = ok(cli("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME))
    assert "moved 2 collaborators to tecnico" in result.stderr
    intact(db_path)


# -- history keeps the name of a deleted profile --------------------------------------------


def history_of(cli: Cli, email: str) -> list[tuple[str, str | None, bool]]:
    """(status, profile, profile_deleted) of each of EMAIL's rows in `collaborator list`."""
    rows = as_json(cli("collaborator", "list", "-a", ACME, "--json"))
    return [(r["status"], r["profile"], r["profile_deleted"]) for r in rows if r["user"] == email]


def table_line(cli: Cli, email: str, *args: str) -> str:
    """The one line of `collaborator list` (a table) that names EMAIL."""
    text = ok(cli("collaborator", "list", "-a", ACME, *args)).stdout
    (line,) = [line for line in text.splitlines() if email in line]
    return line


@pytest.fixture
def history(cli: Cli, legal_account: str) -> None:
    """soporte's history: carla declined it, dora was removed from it (revoked)."""
    ok(cli("invite", CARLA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", CARLA, "decline", ACME))
    ok(cli("invite", DORA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", DORA, "accept", ACME))
    ok(cli("collaborator", "remove", DORA, "-a", ACME))


@pytest.mark.parametrize("holder", [False, True])
def test_a_deleted_profile_keeps_its_name_on_the_history_rows(
    cli: Cli, history: None, request: pytest.FixtureRequest, db_path: Path, holder: bool
) -> None:
    """Declined and revoked rows keep the profile's name, whether the delete moved live
    holders (--reassign) or had none to move; `collaborator list` says the profile is
    gone, the JSON keeps `profile` a plain string, and the log redoes it."""
    delete = ["profile", "delete", "soporte", "-a", ACME]
    if holder:
        request.getfixturevalue("active")  # bob holds soporte: moved to tecnico
        delete += ["--reassign", "tecnico"]
    ok(cli(*delete))
    assert history_of(cli, CARLA) == [("declined", "soporte", True)]
    assert history_of(cli, DORA) == [("revoked", "soporte", True)]
    if holder:
        assert history_of(cli, BOB) == [("active", "tecnico", False)]
    assert "soporte (deleted)" in table_line(cli, CARLA)
    assert "soporte (deleted)" in table_line(cli, DORA, "--status", "revoked")
    shown = as_json(cli("collaborator", "show", DORA, "-a", ACME, "--json"))
    assert (shown["profile"], shown["profile_deleted"]) == ("soporte", True)
    assert [h["profile"] for h in shown["history"]] == ["soporte"]
    text = ok(cli("collaborator", "show", DORA, "-a", ACME)).stdout
    assert f"{DORA} in {ACME}: revoked (soporte, a deleted profile)" in text
    intact(db_path)


def test_a_profile_made_again_under_the_old_name_is_another_profile(
    cli: Cli, history: None, db_path: Path
) -> None:
    """soporte deleted and created again: the old rows keep the name, marked deleted, and
    belong to neither the new profile nor a team file; a new invitation is a new row."""
    ok(cli("profile", "delete", "soporte", "-a", ACME))
    ok(cli("profile", "create", "soporte", "--preset", "soporte", "-a", ACME))
    assert profile_json(cli, "soporte")["collaborators"] == []
    assert profile_json(cli, "soporte")["assigned"] == []
    assert history_of(cli, CARLA) == [("declined", "soporte", True)]
    exported = ok(cli("export", "-a", ACME)).stdout
    assert CARLA not in exported and DORA not in exported
    ok(cli("invite", CARLA, "--profile", "soporte", "-a", ACME))
    assert history_of(cli, CARLA) == [("declined", "soporte", True), ("pending", "soporte", False)]
    assert profile_json(cli, "soporte")["collaborators"] == [CARLA]
    ok(cli("collaborator", "remove", CARLA, "-a", ACME))
    ok(cli("profile", "delete", "soporte", "-a", ACME))  # history alone does not hold it
    assert history_of(cli, CARLA) == [("declined", "soporte", True), ("revoked", "soporte", True)]
    intact(db_path)


def test_profile_delete_unknown_reassign_deletes_nothing(
    cli: Cli, invited: str, db_path: Path
) -> None:
    before = dump(db_path)
    failure(cli("profile", "delete", "soporte", "--reassign", "nope", "-a", ACME), 3)
    assert dump(db_path) == before
    assert profile_json(cli, "soporte")["collaborators"] == [BOB]


# -- profile export ------------------------------------------------------------------------


def test_profile_export_to_stdout(cli: Cli, legal_account: str) -> None:
    result = ok(cli("profile", "export", "soporte", "-a", ACME))
    data = tomllib.loads(result.stdout)
    assert data["name"] == "soporte"
    assert sorted(data["permissions"]) == sorted(profile_json(cli, "soporte")["permissions"])
    assert isinstance(data["description"], str)
    assert "error" not in result.stderr


def test_profile_export_to_a_file(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    path = tmp_path / "out" / "soporte.toml"
    path.parent.mkdir()
    result = ok(cli("profile", "export", "soporte", "-o", str(path), "-a", ACME))
    assert result.stdout == ""
    from_file = tomllib.loads(path.read_text("utf-8"))
    from_stdout = tomllib.loads(ok(cli("profile", "export", "soporte", "-a", ACME)).stdout)
    assert from_file == from_stdout


def test_profile_export_of_nothing_writes_no_file(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    path = tmp_path / "nope.toml"
    failure(cli("profile", "export", "nope", "-o", str(path), "-a", ACME), 3)
    assert not path.exists()
