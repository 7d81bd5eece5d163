"""CI needs no login (docs/team-file.md, "A fresh store from a file"): commands work from
`--as` or $COLABCTL_USER with no config file and never write one; a team file naming
the actor as the owner of an account to create registers them (a `register-user`
change, listed first), so one `apply` sets up an empty store. The walk-through of a CI
job: apply on merge, the pull-request gate at plan, the review after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CNPJ, OWNER, Cli, dump, failure, ok, refused
from support import audit_trail, exists
from test_plan_apply import write

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

OPS = "ops@agencia.example"
ACME = "acme-cursos"
TEAM = f"""version = 1

[accounts.{ACME}]
name = "Acme Cursos"
owner = "{OPS}"
tax_id = {{ country = "BR", number = "{CNPJ}" }}

[accounts.{ACME}.profiles.soporte]
preset = "soporte"
description = "Atención al cliente"

[accounts.{ACME}.collaborators]
"bruno.costa@example.com" = "soporte"
"""


@pytest.fixture
def ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A CI runner: the actor in $COLABCTL_USER, no config file (and none may appear)."""
    monkeypatch.setenv("COLABCTL_USER", OPS)
    config = tmp_path / "config.toml"
    assert not config.exists()
    return config


def test_the_ci_walk_through(cli: Cli, ci: Path, tmp_path: Path, db_path: Target) -> None:
    assert not exists(db_path)  # 1. an empty store
    team = write(tmp_path, TEAM)
    planned = json.loads(ok(cli("plan", "-f", team, "--json")).stdout)
    assert [(c["kind"], c["target"], c["account"]) for c in planned["changes"][:2]] == [
        ("register-user", OPS, ACME),
        ("create-account", ACME, ACME),
    ]
    shown = ok(cli("plan", "-f", team)).stdout
    assert shown.splitlines()[1] == f"  + register {OPS} (you: the owner this file names)"
    assert not exists(db_path)  # plan wrote nothing

    ok(cli("apply", "-f", team, "--yes"))  # 2. apply on merge
    first = audit_trail(db_path, "action", "actor", "target", "details")[0]
    assert first[:3] == ("user.create", OPS, OPS)  # what `login` writes, tagged with the apply
    assert {k: v for k, v in first[3].items() if k != "apply"} == {"name": None}
    assert "apply" in first[3]

    withdraw = TEAM.replace(
        'preset = "soporte"\n', 'preset = "soporte"\npermissions = ["Retirar"]\n'
    )
    pull = write(tmp_path, withdraw, "pr.toml")
    gate = cli("plan", "-f", pull, "--fail-on", "high")  # 3. the pull request fails
    assert gate.exit_code == 1, gate.stderr
    fix = write(tmp_path, TEAM + '"carla.mendes@example.com" = "soporte"\n', "fix.toml")
    ok(cli("plan", "-f", fix, "--fail-on", "high"))  # 4. the fix passes
    ok(cli("apply", "-f", fix, "--yes"))  # 5. merged and applied
    ok(cli("review", "--fail-on", "high"))  # 6. the review after
    ok(cli("audit", "verify"))
    assert not ci.exists()  # no config file was written, by any step


def test_a_saved_plan_registers_its_owner_too(
    cli: Cli, ci: Path, tmp_path: Path, db_path: Target
) -> None:
    saved = tmp_path / "plan.json"
    ok(cli("plan", "-f", write(tmp_path, TEAM), "-o", str(saved)))
    ok(cli("apply", str(saved), "--yes"))
    assert audit_trail(db_path, "action", "actor", "target")[0] == ("user.create", OPS, OPS)
    assert json.loads(ok(cli("whoami", "--json")).stdout)["user"] == OPS
    assert not ci.exists()


def test_who_the_file_does_not_name_is_not_registered(
    cli: Cli, ci: Path, tmp_path: Path, db_path: Target
) -> None:
    unnamed = write(tmp_path, TEAM.replace(f'owner = "{OPS}"\n', ""))
    error, hint = failure(refused(cli, db_path, 5, "plan", "-f", unnamed), 5)
    assert f"{OPS} is not a registered user" in error and hint is not None
    assert not exists(db_path)
    error, _ = failure(cli("apply", "-f", unnamed, "--yes"), 5)
    assert f"{OPS} is not a registered user" in error
    someone = write(tmp_path, TEAM.replace(f'owner = "{OPS}"', f'owner = "{OWNER}"'), "b.toml")
    error, _ = failure(cli("apply", "-f", someone, "--yes"), 5)
    assert f"the owner of acme-cursos is {OWNER}" in error
    assert not [line for line in dump(db_path) if "INSERT" in line or ": (" in line]
    assert not ci.exists()  # nothing written: no row in any table, no config


def test_a_taken_slug_is_taken_for_a_newcomer_too(
    cli: Cli, legal_account: str, tmp_path: Path, db_path: Target
) -> None:
    result = refused(cli, db_path, 4, "--as", OPS, "apply", "-f", write(tmp_path, TEAM), "--yes")
    assert result.stderr.splitlines() == [f'error: account "{ACME}" already exists']


def test_a_registered_actor_gets_no_registration(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    mine = TEAM.replace(OPS, OWNER).replace(ACME, "acme-nova")
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, mine), "--json")).stdout)
    assert "register-user" not in [c["kind"] for c in data["changes"]]
