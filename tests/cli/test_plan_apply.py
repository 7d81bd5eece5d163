"""Team as code through the CLI (docs/team-file.md): export, plan, apply, saved plans;
every change kind, every refusal with the store unchanged, the brake, idempotence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CNPJ, OWNER, Cli, FakeClock, dump, failure, ok, refused
from support import audit_trail, intact, raw

from colabctl.cli import team as cli_team
from colabctl.core.team import load_plan

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
BEA = "bea@example.com"
CAIO = "caio@example.com"
DORA = "dora@example.com"
ZED = "zed@example.com"
OTHER_CNPJ = "33.000.167/0001-01"

HEAD = f"""version = 1

[accounts.{ACME}]
name = "Acme Cursos"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "{CNPJ}" }}
"""


def write(tmp_path: Path, text: str, name: str = "team.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def plan_json(cli: Cli, path: str, *extra: str, actor: str = OWNER) -> dict[str, Any]:
    result = ok(cli("--as", actor, "plan", "-f", path, "--json", *extra))
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def kinds(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["account"], c["kind"], c["target"]) for c in data["changes"]]


# -- export and the round trip ---------------------------------------------------------------


def test_export_round_trips_to_no_changes(cli: Cli, team: str, db_path: Path) -> None:
    exported = ok(cli("--as", OWNER, "export", "-a", ACME)).stdout
    assert exported.startswith("# colabctl team file: exported ")
    ((seq, digest),) = raw(db_path, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")[0]
    assert f"# audit head {seq}:{digest}" in exported
    assert '"bea@example.com" = "soporte"' in exported
    assert '"caio@example.com" = "tecnico"' in exported
    assert "preset" not in exported
    before = dump(db_path)
    result = ok(cli("--as", OWNER, "plan", "-f", "-", "--detailed-exitcode", input=exported))
    assert "No changes" in result.stdout
    assert "caio@example.com (tecnico) is pending since" in result.stdout
    assert dump(db_path) == before


@pytest.mark.engines("sqlite")  # about the store's file: -o over it
def test_export_to_a_file_is_atomic_and_never_over_the_store(
    cli: Cli, team: str, tmp_path: Path, db_path: Path
) -> None:
    out = tmp_path / "out.toml"
    ok(cli("--as", OWNER, "export", "-a", ACME, "-o", str(out)))
    assert out.read_text().count("[accounts.acme-cursos") == 4  # account, 2 profiles, people
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.toml")]
    refused(cli, db_path, 4, "--as", OWNER, "export", "-a", ACME, "-o", str(db_path))


def test_export_a_and_all_accounts_are_alternatives(cli: Cli, team: str) -> None:
    for every in ("--all-accounts", "--all"):
        result = cli("--as", OWNER, "export", "-a", ACME, every)
        assert result.exit_code == 2 and result.stdout == ""


def test_export_all_accounts_and_its_hidden_alias(cli: Cli, team: str) -> None:
    ok(cli("--as", OWNER, "account", "create", "acme-dois", "--name", "Acme Dois"))
    every = ok(cli("--as", OWNER, "export", "--all-accounts")).stdout
    assert every.count("\n[accounts.acme-cursos]\n") == every.count("\n[accounts.acme-dois]\n") == 1
    alias = ok(cli("--as", OWNER, "export", "--all")).stdout
    assert alias.splitlines()[1:] == every.splitlines()[1:]  # the first line: the time
    shown = ok(cli("export", "--help")).stdout
    assert "--all-accounts" in shown and "--all " not in shown


def test_export_is_for_the_owner(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 5, "--as", BEA, "export", "-a", ACME)  # active collaborator
    ok(cli("login", ZED))
    refused(cli, db_path, 3, "--as", ZED, "export", "-a", ACME)  # outsider: no account
    assert ok(cli("--as", ZED, "export", "--all-accounts")).stdout.count("[accounts.") == 0


# -- every change kind, in order, then idempotence -------------------------------------------


def test_every_change_kind_in_order_then_nothing(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, clock: FakeClock
) -> None:
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", DORA, "decline", ACME))
    ok(cli("--as", OWNER, "invite", "eva@example.com", "--profile", "soporte", "-a", ACME))
    ok(cli("--as", OWNER, "profile", "create", "financiero", "--preset", "financiero"))
    clock.advance(days=8)  # caio's and eva's invitations expire
    ok(cli("--as", OWNER, "account", "create", "sem-cnpj", "--name", "Sem CNPJ"))
    text = f"""version = 1

[accounts.{ACME}]
name = "Acme Renamed"

[accounts.{ACME}.profiles.soporte]
preset = "soporte"
permissions = ["withdrawal.withdraw"]

[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"

[accounts.{ACME}.profiles.reembolsos]
permissions = ["purchases.request_refunds", "Buscar por Compras"]

[accounts.{ACME}.collaborators]
"{BEA}" = "reembolsos"
"{CAIO}" = "tecnico"
"{DORA}" = "soporte"
"eva@example.com" = "tecnico"
"fe@example.com" = {{ profile = "soporte", expires_in = "48h" }}

[accounts.sem-cnpj]
tax_id = {{ country = "BR", number = "{OTHER_CNPJ}" }}

[accounts.nova-conta]
name = "Nova Conta"
tax_id = {{ country = "BR", number = "{OTHER_CNPJ}" }}
[accounts.nova-conta.profiles.apoio]
permissions = ["products.view"]
[accounts.nova-conta.collaborators]
"{BEA}" = "apoio"
"""
    path = write(tmp_path, text)
    data = plan_json(cli, path, "--prune", "--reinvite")
    assert kinds(data) == [
        (ACME, "rename-account", ACME),
        (ACME, "create-profile", "reembolsos"),
        (ACME, "change-profile", "soporte"),
        (ACME, "invite", "eva@example.com"),  # expired, asked with another profile
        (ACME, "invite", "fe@example.com"),
        (ACME, "set-profile", BEA),
        (ACME, "renew", CAIO),
        (ACME, "reinvite", DORA),
        (ACME, "delete-profile", "financiero"),
        ("sem-cnpj", "set-tax-id", "sem-cnpj"),
        ("nova-conta", "create-account", "nova-conta"),
        ("nova-conta", "create-profile", "apoio"),
        ("nova-conta", "invite", BEA),
    ]
    assert data["head"]["seq"] > 0 and len(data["head"]["hash"]) == 64
    change = data["changes"][2]
    assert change["after"]["added"] == ["withdrawal.withdraw"]
    assert set(change) >= {"account", "kind", "target", "before", "after", "gains", "losses"}
    # bea holds soporte when the profile changes (gains), then moves to reembolsos (losses)
    assert change["gains"] == {BEA: ["withdrawal.withdraw"]}
    assert "withdrawal.withdraw" in data["changes"][5]["losses"][BEA]
    assert data["changes"][4]["gains"]["fe@example.com"][-1] == "withdrawal.withdraw"

    # every kind a plan makes reads back from a saved plan as it was (checks.check_change)
    saved = tmp_path / "plan.json"
    ok(cli("--as", OWNER, "plan", "-f", path, "--prune", "--reinvite", "-o", str(saved)))
    loaded = load_plan(saved.read_bytes(), str(saved)).changes
    assert [(c.account, c.kind, c.target, c.before, c.after) for c in loaded] == [
        (c["account"], c["kind"], c["target"], c["before"], c["after"]) for c in data["changes"]
    ]

    before = dump(db_path)
    refused(cli, db_path, 6, "--as", OWNER, "apply", "-f", path, "--prune", "--reinvite")
    assert dump(db_path) == before
    result = ok(cli("--as", OWNER, "apply", "-f", path, "--prune", "--reinvite", "--yes"))
    assert "applied 13 changes" in result.stderr
    rows = audit_trail(db_path, "action", "target", "details")
    tagged = [r for r in rows if "apply" in r[2]]
    assert len(tagged) == 13
    assert len({r[2]["apply"] for r in tagged}) == 1
    ok(cli("--as", OWNER, "audit", "verify"))

    # a second apply changes nothing and writes nothing
    before = dump(db_path)
    result = ok(cli("--as", OWNER, "apply", "-f", path, "--prune", "--reinvite", "--yes"))
    assert "no changes" in result.stderr
    assert dump(db_path) == before
    ok(cli("--as", OWNER, "plan", "-f", path, "--prune", "--detailed-exitcode"))
    # and what it made exports to the same thing
    exported = ok(cli("--as", OWNER, "export", "--all-accounts")).stdout
    ok(cli("--as", OWNER, "plan", "-f", "-", "--prune", "--detailed-exitcode", input=exported))


def test_detailed_exitcode_and_text_diff(cli: Cli, team: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + f"""
[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"
[accounts.{ACME}.collaborators]
"{BEA}" = "tecnico"
"{CAIO}" = "tecnico"
""",
    )
    result = cli("--as", OWNER, "plan", "-f", path, "--detailed-exitcode")
    assert result.exit_code == 1, result.stderr
    assert "~ set profile of bea@example.com: soporte -> tecnico" in result.stdout
    assert "purchases.change_buyer_email!" in result.stdout  # high risk, marked
    assert "Plan: 1 change:" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour off a terminal
    ok(cli("--as", OWNER, "plan", "-f", path))  # without the flag: 0


def test_profile_edit_names_the_people_it_touches(cli: Cli, team: str, tmp_path: Path) -> None:
    for i in range(3):
        ok(cli("--as", OWNER, "invite", f"p{i}@example.com", "--profile", "soporte"))
        ok(cli("--as", f"p{i}@example.com", "accept", ACME))
    exported = ok(cli("--as", OWNER, "export")).stdout
    edited = exported.replace('"purchases.change_buyer_email", ', "")
    assert edited != exported
    result = ok(cli("--as", OWNER, "plan", "-f", "-", input=edited))
    assert "~ change profile soporte: -purchases.change_buyer_email!\n" in result.stdout
    people = "bea@example.com, p0@example.com, p1@example.com, p2@example.com"
    assert f"-purchases.change_buyer_email! for 4 people: {people}\n" in result.stdout


def test_pending_people_are_notes_and_declined_ones_warnings(
    cli: Cli, team: str, tmp_path: Path
) -> None:
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte"))
    ok(cli("--as", DORA, "decline", ACME))
    exported = ok(cli("--as", OWNER, "export")).stdout
    with_dora = exported + f'"{DORA}" = "soporte"\n'
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", "-", "--json", input=with_dora)).stdout)
    assert data["changes"] == []
    assert any("declined" in w and DORA in w for w in data["warnings"])
    assert any("pending since" in n and CAIO in n for n in data["notes"])
    without_bea = exported.replace(f'"{BEA}" = "soporte"\n', "")
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", "-", "--json", input=without_bea)).stdout)
    assert data["changes"] == []
    assert any("would remove with --prune" in n and BEA in n for n in data["notes"])


# -- prune, the brake, the owner ------------------------------------------------------------


def test_prune_brake_and_owner_never_removed(
    cli: Cli, team: str, tmp_path: Path, db_path: Path
) -> None:
    for i in range(10):
        ok(cli("--as", OWNER, "invite", f"p{i}@example.com", "--profile", "soporte"))
    path = write(tmp_path, HEAD + f"\n[accounts.{ACME}.collaborators]\n")
    data = plan_json(cli, path, "--prune")
    removed = [c["target"] for c in data["changes"] if c["kind"] == "remove"]
    assert len(removed) == 12 and OWNER not in removed
    _, hint = failure(
        refused(cli, db_path, 5, "--as", OWNER, "apply", "-f", path, "--prune", "--yes"), 5
    )
    assert hint is not None and "--max-removals 12" in hint
    refused(
        cli, db_path, 5, "--as", OWNER, "apply", "-f", path, "--prune", "--yes",
        "--max-removals", "11",
    )  # fmt: skip
    ok(cli("--as", OWNER, "apply", "-f", path, "--prune", "--yes", "--max-removals", "12"))
    shown = json.loads(ok(cli("--as", OWNER, "account", "show", ACME, "--json")).stdout)
    assert shown["owner"] == OWNER
    assert json.loads(ok(cli("--as", OWNER, "collaborator", "list", "--json",
                             "--status", "active")).stdout) == []  # fmt: skip


def test_delete_profile_needs_its_holders_moved(
    cli: Cli, team: str, tmp_path: Path, db_path: Path
) -> None:
    path = write(
        tmp_path,
        HEAD
        + f"""
[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.collaborators]
"{BEA}" = "soporte"
"{CAIO}" = "tecnico"
""",
    )
    refused(cli, db_path, 4, "--as", OWNER, "plan", "-f", path, "--prune")
    refused(cli, db_path, 4, "--as", OWNER, "apply", "-f", path, "--prune", "--yes")
    data = plan_json(cli, path)
    assert any("would delete with --prune" in n for n in data["notes"])


def test_delete_profile_counts_its_assigned_people_as_profile_delete_does(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, clock: FakeClock
) -> None:
    """dora's invitation to soporte expired: she is still assigned to it, and a plan that
    deletes soporte must move her too (--prune leaves an expired invitation alone)."""
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte", "-a", ACME, "--expires-in", "1d"))
    clock.advance(days=2)
    body = f"""
[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"
[accounts.{ACME}.collaborators]
"{BEA}" = "tecnico"
"{CAIO}" = "tecnico"
"""
    path = write(tmp_path, HEAD + body)
    result = refused(cli, db_path, 4, "--as", OWNER, "plan", "-f", path, "--prune")
    assert "would still hold it or be assigned to it: dora@example.com" in result.stderr
    refused(cli, db_path, 4, "--as", OWNER, "apply", "-f", path, "--prune", "--yes")
    path = write(tmp_path, HEAD + body + f'"{DORA}" = "tecnico"\n')  # invited anew
    ok(cli("--as", OWNER, "apply", "-f", path, "--prune", "--yes"))
    assert [
        p["name"] for p in json.loads(ok(cli("profile", "list", "-a", ACME, "--json")).stdout)
    ] == ["tecnico"]
    intact(db_path)


# -- refusals: the file ---------------------------------------------------------------------


BAD_FILES = [
    ('[accounts.acme-cursos.profiles.x1]\npermissions = ["account.bank"]\n', "account.bank", 9),
    ('[accounts.acme-cursos.profiles.x1]\npermissions = ["purchases.serch"]\n', "serch", 9),
    ('[accounts.acme-cursos.collaborators]\n"not-an-email" = "soporte"\n', "not-an-email", 9),
    ('[accounts.acme-cursos.collaborators]\n"bea@example.com" = "Soporte"\n', "Soporte", 9),
    (f'[accounts.acme-cursos.collaborators]\n"{OWNER}" = "soporte"\n', "owner", 9),
    (
        '[accounts.acme-cursos.collaborators]\n"bea@example.com" = "soporte"\n'
        '"BEA@example.com" = "tecnico"\n',
        "twice",
        10,
    ),
    (
        "[accounts.acme-cursos.collaborators]\n"
        '"bea@example.com" = { profile = "soporte", access_until = "30d" }\n',
        "duration",
        9,
    ),
    ('[accounts.acme-cursos.collaborators]\n"bea@example.com" = "ghost"\n', "ghost", 9),
    ('[accounts.Acme]\nname = "x"\n', "Acme", 8),
    (
        '[accounts.acme-cursos.profiles.x1]\npermissions = ["products.view"]\ncolor = 1\n',
        "color",
        10,
    ),
]


@pytest.mark.parametrize(("tail", "named", "line"), BAD_FILES)
def test_bad_files_are_refused_naming_file_and_line(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, tail: str, named: str, line: int
) -> None:
    path = write(tmp_path, HEAD + "\n" + tail)
    for command in ("plan", "apply"):
        extra = ("--yes",) if command == "apply" else ()
        result = refused(cli, db_path, 6, "--as", OWNER, command, "-f", path, *extra)
        error, hint = failure(result, 6)
        assert f"{path}, line {line}:" in error, error
        assert named in error + (hint or ""), (error, hint)


def test_an_endless_file_is_refused_not_read_forever(
    cli: Cli, team: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-f /dev/zero` (or a runaway pipe) ends: a team file has a size cap (exit 6)."""
    from colabctl.core.team import file as teamfile

    monkeypatch.setattr(teamfile, "MAX_TEAM_FILE_BYTES", 1_000_000)
    for command in ("plan", "apply"):
        extra = ("--yes",) if command == "apply" else ()
        result = refused(cli, db_path, 6, "--as", OWNER, command, "-f", "/dev/zero", *extra)
        assert "/dev/zero: too large for a team file" in result.stderr


def test_unknown_permission_suggests(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    path = write(
        tmp_path, HEAD + '[accounts.acme-cursos.profiles.x1]\npermissions = ["purchases.serch"]\n'
    )
    _, hint = failure(refused(cli, db_path, 6, "--as", OWNER, "plan", "-f", path), 6)
    assert hint is not None and "purchases.search" in hint


def test_malformed_toml_and_version(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, "plan", "-f",
                               write(tmp_path, "version = 1\n[accounts\n")), 6)  # fmt: skip
    assert "malformed TOML" in error and "line 2" in error
    error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, "plan", "-f",
                               write(tmp_path, "[accounts]\n")), 6)  # fmt: skip
    assert "version" in error


# -- refusals: who applies ------------------------------------------------------------------


def test_owner_must_be_the_actor(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path, HEAD)
    refused(cli, db_path, 5, "--as", BEA, "plan", "-f", path)
    refused(cli, db_path, 5, "--as", BEA, "apply", "-f", path, "--yes")


def test_someone_elses_account(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path, f'version = 1\n[accounts.{ACME}]\nname = "Mine now"\n')
    refused(cli, db_path, 5, "--as", BEA, "apply", "-f", path, "--yes")  # active: knows it
    ok(cli("login", ZED))
    for who in (ZED, CAIO):  # an outsider; a pending invitee
        result = refused(cli, db_path, 4, "--as", who, "apply", "-f", path, "--yes")
        assert result.stderr.splitlines() == [f'error: account "{ACME}" already exists']


def test_all_or_nothing_across_accounts(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    ok(cli("login", ZED))
    ok(cli("--as", ZED, "account", "create", "zed-co", "--name", "Zed"))
    text = """version = 1
[accounts.brand-new]
name = "Brand New"
[accounts.zed-co]
name = "Taken"
"""
    refused(cli, db_path, 4, "--as", OWNER, "apply", "-f", write(tmp_path, text), "--yes")


def test_legal_entity_gate(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    text = (
        'version = 1\n[accounts.sem-cnpj]\nname = "S"\n'
        '[accounts.sem-cnpj.profiles.ab]\npermissions = ["products.view"]\n'
    )
    refused(cli, db_path, 5, "--as", OWNER, "apply", "-f", write(tmp_path, text), "--yes")


def test_no_terminal_or_stdin_needs_yes(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, HEAD.replace("Acme Cursos", "Acme Novo"))
    _, hint = failure(refused(cli, db_path, 6, "--as", OWNER, "apply", "-f", path), 6)
    assert hint is not None and "--yes" in hint
    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    text = Path(path).read_text()
    refused(cli, db_path, 6, "--as", OWNER, "apply", "-f", "-", input=text)
    before = dump(db_path)
    result = cli("--as", OWNER, "apply", "-f", path, input="n\n")
    assert result.exit_code == 0 and "nothing was changed" in result.stderr
    assert dump(db_path) == before
    result = ok(cli("--as", OWNER, "apply", "-f", path, input="y\n"))
    assert "applied 1 change:" in result.stderr


# -- saved plans ------------------------------------------------------------------------------


def test_saved_plan_applies_exactly_its_changes(
    cli: Cli, team: str, tmp_path: Path, db_path: Path
) -> None:
    path = write(tmp_path, HEAD.replace("Acme Cursos", "Acme Plano"))
    saved = str(tmp_path / "plan.json")
    ok(cli("--as", OWNER, "plan", "-f", path, "-o", saved))
    document = json.loads(Path(saved).read_text())
    assert document["head"]["seq"] > 0 and [c["kind"] for c in document["changes"]] == [
        "rename-account"
    ]
    refused(cli, db_path, 6, "--as", OWNER, "apply", saved)  # no terminal, no --yes
    ok(cli("--as", OWNER, "apply", saved, "--yes"))
    shown = json.loads(ok(cli("--as", OWNER, "account", "show", ACME, "--json")).stdout)
    assert shown["name"] == "Acme Plano"
    # the head moved (its own apply): the same plan is refused, nothing written
    error, _ = failure(refused(cli, db_path, 4, "--as", OWNER, "apply", saved, "--yes"), 4)
    assert "the store changed since this plan: plan again" in error


def test_saved_plan_race(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, clock: FakeClock
) -> None:
    path = write(tmp_path, HEAD.replace("Acme Cursos", "Acme Plano"))
    saved = str(tmp_path / "plan.json")
    ok(cli("--as", OWNER, "plan", "-f", path, "-o", saved))
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte"))
    # caio's invitation is now due to expire: the refused apply does not even record
    # that (bookkeeping is a write; the head is compared before any)
    clock.advance(days=8)
    refused(cli, db_path, 4, "--as", OWNER, "apply", saved, "--yes")


def test_saved_plan_garbage(cli: Cli, team: str, tmp_path: Path, db_path: Path) -> None:
    bad = write(tmp_path, '{"format": "nope"}', "plan.json")
    refused(cli, db_path, 6, "--as", OWNER, "apply", bad, "--yes")


def test_apply_json(cli: Cli, team: str, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("Acme Cursos", "Acme Json"))
    data = json.loads(ok(cli("--as", OWNER, "apply", "-f", path, "--yes", "--json")).stdout)
    assert data["apply_id"] and [c["kind"] for c in data["changes"]] == ["rename-account"]
    data = json.loads(ok(cli("--as", OWNER, "apply", "-f", path, "--yes", "--json")).stdout)
    assert data["apply_id"] is None and data["changes"] == []


def test_new_store_from_a_file(cli: Cli, tmp_path: Path, db_path: Path) -> None:
    ok(cli("login", OWNER))
    path = write(
        tmp_path,
        HEAD
        + f'[accounts.{ACME}.profiles.soporte]\npreset = "soporte"\n'
        + f'[accounts.{ACME}.collaborators]\n"{BEA}" = "soporte"\n',
    )
    ok(cli("--as", OWNER, "apply", "-f", path, "--yes"))
    shown = json.loads(ok(cli("--as", OWNER, "profile", "show", "soporte", "--json")).stdout)
    assert len(shown["permissions"]) == 10 and shown["description"]
    ok(cli("--as", OWNER, "plan", "-f", path, "--detailed-exitcode"))


# -- time-boxed access ------------------------------------------------------------------------


def test_access_until_in_the_file(
    cli: Cli, team: str, tmp_path: Path, db_path: Path, clock: FakeClock
) -> None:
    exported = ok(cli("--as", OWNER, "export")).stdout
    boxed = (
        exported.replace(
            f'"{BEA}" = "soporte"',
            f'"{BEA}" = {{ profile = "soporte", access_until = 2026-12-31 }}',
        )
        + f'"{DORA}" = {{ profile = "tecnico", access_until = 2026-11-20T12:00:00Z }}\n'
    )
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", "-", "--json", input=boxed)).stdout)
    assert [(c["kind"], c["target"], c["after"]) for c in data["changes"]] == [
        (
            "invite",
            DORA,
            {"profile": "tecnico", "expires_in": 604800, "access_until": "2026-11-20T12:00:00Z"},
        ),
        ("set-access-until", BEA, "2026-12-31T23:59:59Z"),
    ]
    ok(cli("--as", OWNER, "apply", "-f", "-", "--yes", input=boxed))
    ok(cli("--as", OWNER, "plan", "-f", "-", "--detailed-exitcode", input=boxed))
    again = ok(cli("--as", OWNER, "export")).stdout
    assert "access_until = 2026-12-31T23:59:59Z" in again
    ok(cli("--as", OWNER, "plan", "-f", "-", "--detailed-exitcode", input=again))
    # bea's access ends; the file giving a later date gives it back (a gain)
    clock.advance(days=60)
    later = (
        boxed.replace("2026-12-31", "2027-06-30")
        .replace(f'"{DORA}" = {{ profile = "tecnico", access_until = 2026-11-20T12:00:00Z }}\n', "")
        .replace(f'"{CAIO}" = "tecnico"\n', "")
    )
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", "-", "--json", input=later)).stdout)
    (change,) = data["changes"]
    assert change["kind"] == "set-access-until" and BEA in change["gains"]
    # a date already past is refused, naming the line
    error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, "plan", "-f", "-", input=boxed), 6)
    assert "not in the future" in error and "line" in error
