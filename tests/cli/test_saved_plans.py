"""A saved plan is input like any other (docs/team-file.md, "Saved plans"): every value of
a plan edited by hand is checked by the rules of a team file, and refused with exit 6
naming the plan file and the change (its number and target) before anything is written;
and `plan` refuses what `apply` would refuse (a lookalike address is 6 at `plan`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CNPJ, OWNER, Cli, failure, ok, refused
from test_plan_apply import write

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
OTHER_CNPJ = "33.000.167/0001-01"
A_CPF = "529.982.247-25"  # a valid CPF: a person's number, never a business's

TEAM = f"""version = 1

[accounts.{ACME}]
name = "Acme Renamed"
tax_id = {{ country = "BR", number = "{OTHER_CNPJ}" }}

[accounts.{ACME}.profiles.soporte]
preset = "soporte"
[accounts.{ACME}.profiles.tecnico]
preset = "tecnico"
[accounts.{ACME}.profiles.extra]
permissions = ["products.view"]

[accounts.{ACME}.collaborators]
"eva@example.com" = "extra"

[accounts.beta-nova]
name = "Beta Nova"
tax_id = {{ country = "BR", number = "{CNPJ}" }}
"""


@pytest.fixture
def saved(cli: Cli, legal_account: str, tmp_path: Path) -> Path:
    """A plan saved from TEAM: rename-account, set-tax-id, create-profile, invite (acme),
    create-account (beta-nova)."""
    path = tmp_path / "plan.json"
    ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, TEAM), "-o", str(path)))
    kinds = [c["kind"] for c in json.loads(path.read_text())["changes"]]
    assert kinds == ["rename-account", "set-tax-id", "create-profile", "invite", "create-account"]
    return path


Edit = Callable[[dict[str, Any]], None]


def change(kind: str, key: str, value: Any) -> Edit:
    """Set KEY (`target`, `after`, `after.NAME`, ...) of the plan's KIND change to VALUE."""

    def edit(document: dict[str, Any]) -> None:
        found = next(c for c in document["changes"] if c["kind"] == kind)
        if "." in key:
            outer, inner = key.split(".")
            found[outer][inner] = value
        else:
            found[key] = value

    return edit


def add_permission(perm: str) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        found = next(c for c in document["changes"] if c["kind"] == "create-profile")
        found["after"]["permissions"].append(perm)

    return edit


# (what the hand edit does, the edit, the change's number, its target as named, what the
# error says). The first five are the reproductions of a tampered plan that used to apply.
EDITS: list[tuple[str, Edit, int, str, str]] = [
    ("owner-only id", add_permission("account.bank"), 3, "extra", "account.bank"),
    ("ESC in a name", change("rename-account", "after", "Acme \x1b[31mRed"), 1, ACME, "control"),
    ("NUL in a name", change("rename-account", "after", "Acme\x00"), 1, ACME, "control"),
    ("514 characters", change("rename-account", "after", "x" * 514), 1, ACME, "too long"),
    (
        "bad name",
        change("create-profile", "target", "Bad Name!/../x"),
        3,
        "Bad Name",
        "not allowed",
    ),
    ("not an email", change("invite", "target", "not an email"), 4, "not an email", "not a valid"),
    (
        "a CPF",
        change("set-tax-id", "after", {"country": "BR", "number": A_CPF}),
        2,
        ACME,
        "is a CPF",
    ),
    (
        "a CPF at creation",
        change("create-account", "after.tax_id", {"country": "BR", "number": A_CPF}),
        5,
        "beta-nova",
        "is a CPF",
    ),
    ("unknown permission", add_permission("purchases.serch"), 3, "extra", "purchases.serch"),
    ("bad slug", change("rename-account", "account", "Acme"), 1, ACME, "account slug"),
    ("no expiry", change("invite", "after.expires_in", 0), 4, "eva@example.com", "out of range"),
    ("strange time", change("invite", "after.access_until", "soon"), 4, "eva@", "stores it"),
    ("unknown kind", change("invite", "kind", "grant-all"), 4, "grant-all", "unknown change"),
    ("extra key", change("invite", "after.admin", True), 4, "eva@", "keys profile"),
    ("a preset", change("create-profile", "after.preset", "boss"), 3, "extra", "boss"),
]


@pytest.mark.parametrize(
    ("edit", "number", "target", "says"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_every_value_of_a_saved_plan_is_checked(
    cli: Cli,
    saved: Path,
    db_path: Target,
    edit: Edit,
    number: int,
    target: str,
    says: str,
) -> None:
    document = json.loads(saved.read_text())
    edit(document)
    saved.write_text(json.dumps(document))
    result = refused(cli, db_path, 6, "--as", OWNER, "apply", str(saved), "--yes")
    error, hint = failure(result, 6)
    assert f"error: {saved}: change {number} (" in error, error
    assert target in error, error
    assert says in error + (hint or ""), (error, hint)


def test_the_untouched_plan_applies(cli: Cli, saved: Path, db_path: Target) -> None:
    ok(cli("--as", OWNER, "apply", str(saved), "--yes"))
    shown = json.loads(
        ok(cli("--as", OWNER, "profile", "show", "extra", "-a", ACME, "--json")).stdout
    )
    assert shown["permissions"] == ["products.view"]


def test_a_lookalike_is_refused_at_plan_and_in_a_saved_plan(
    cli: Cli, saved: Path, tmp_path: Path, db_path: Target
) -> None:
    lookalike = OWNER.replace("souza", "s0uza")  # ana.s0uza@ beside ana.souza@
    text = TEAM.replace('"eva@example.com" = "extra"', f'"{lookalike}" = "extra"')
    path = write(tmp_path, text, "lookalike.toml")
    for command in (("plan", "-f", path), ("apply", "-f", path, "--yes")):
        error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, *command), 6)
        assert f"{path}, line 15: " in error and "looks like the address" in error, error
    document = json.loads(saved.read_text())
    change("invite", "target", lookalike)(document)
    saved.write_text(json.dumps(document))
    error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, "apply", str(saved), "--yes"), 6)
    assert f"{saved}: change 4 (" in error and "looks like the address" in error, error


def test_a_saved_plan_registers_only_who_applies_it(cli: Cli, saved: Path, db_path: Target) -> None:
    document = json.loads(saved.read_text())
    register = {"account": ACME, "kind": "register-user", "target": "mallory@example.com",
                "before": None, "after": None}  # fmt: skip
    document["changes"].insert(0, register)
    saved.write_text(json.dumps(document))
    error, _ = failure(refused(cli, db_path, 5, "--as", OWNER, "apply", str(saved), "--yes"), 5)
    assert f"{saved}: change 1 (" in error and "mallory@example.com" in error


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"format": "colabctl-plan", "version": 1}',
        '{"format": "colabctl-plan", "version": 1, "head": {"seq": -1, "hash": "x"},'
        ' "changes": []}',
        '{"format": "colabctl-plan", "version": 1, "head": {"seq": 1, "hash": "' + "0" * 64 + '"},'
        ' "changes": {}}',
        '{"format": "colabctl-plan", "version": 1, "head": {"seq": 1, "hash": "' + "0" * 64 + '"},'
        ' "changes": [7]}',
    ],
)
def test_not_a_plan(cli: Cli, saved: Path, db_path: Target, text: str) -> None:
    saved.write_text(text)
    error, _ = failure(refused(cli, db_path, 6, "--as", OWNER, "apply", str(saved), "--yes"), 6)
    assert error.startswith(f"error: {saved}: ")


def test_a_saved_plan_says_what_it_did_from_the_store_not_from_the_file(
    cli: Cli, saved: Path
) -> None:
    """Gains, losses and findings in a saved plan are not read back: they are worked out
    again from the store the plan was made against."""
    document = json.loads(saved.read_text())
    invite = next(c for c in document["changes"] if c["kind"] == "invite")
    invite["gains"] = {"eva@example.com": ["account.bank"]}
    saved.write_text(json.dumps(document))
    done = json.loads(ok(cli("--as", OWNER, "apply", str(saved), "--yes", "--json")).stdout)
    (applied,) = [c for c in done["changes"] if c["kind"] == "invite"]
    assert applied["gains"] == {"eva@example.com": ["products.view"]}
    assert applied["on_acceptance"] == ["eva@example.com"]
    assert set(done["findings"]) == {"new", "resolved"} and done["apply_id"]


def test_someone_elses_saved_plan_shows_nothing(
    cli: Cli, saved: Path, db_path: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan made by the owner, applied by anyone else: refused before its prompt shows
    who is in the account (an outsider gets the taken slug's 4, as for a team file)."""
    from colabctl.cli import team as cli_team

    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    ok(cli("login", "zed@example.com"))
    ok(cli("login", OWNER))
    ok(cli("--as", OWNER, "plan", "-f", write(saved.parent, TEAM), "-o", str(saved)))
    result = refused(cli, db_path, 4, "--as", "zed@example.com", "apply", str(saved), input="y\n")
    assert result.stderr.splitlines() == [f'error: account "{ACME}" already exists']


def test_a_change_about_nobody_is_refused_not_a_crash(
    cli: Cli, saved: Path, db_path: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    from colabctl.cli import team as cli_team

    document = json.loads(saved.read_text())
    document["changes"].insert(
        4,
        {"account": ACME, "kind": "set-profile", "target": "ghost@example.com",
         "before": "soporte", "after": "tecnico"},
    )  # fmt: skip
    saved.write_text(json.dumps(document))
    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    shown = ok(cli("--as", OWNER, "apply", str(saved), input="n\n"))  # the prompt: no crash
    assert "set profile of ghost@example.com: soporte -> tecnico" in shown.stdout
    result = refused(cli, db_path, 3, "--as", OWNER, "apply", str(saved), "--yes")
    assert "ghost@example.com is not a collaborator" in result.stderr
