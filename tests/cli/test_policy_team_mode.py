"""`colabctl test` in team-file mode (docs/policy-tests.md): the tests judge the state a
team file asks for, in a scratch store built from the file alone, before it is applied.
The user's store is never touched, and need not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OWNER, Cli, failure, ok
from support import dump, exists, write

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
BRUNO = "bruno.costa@example.com"
DIEGO = "diego.rocha@example.com"

TEAM = f"""\
version = 1

[accounts.acme-cursos]
name = "Acme Cursos Online"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "33.000.167/0001-01" }}

[accounts.acme-cursos.profiles.soporte]
preset = "soporte"

[accounts.acme-cursos.profiles.financiero]
preset = "financiero"

[accounts.acme-cursos.collaborators]
"{BRUNO}" = "soporte"
"{DIEGO}" = "financiero"
"""

TESTS = f"""\
team = "team.toml"

[[check]]
account = "acme-cursos"
user = "{BRUNO}"
allow = ["purchases.request_refunds"]
deny = ["withdrawal.withdraw", "account.bank"]

[[check]]
account = "acme-cursos"
user = "{DIEGO}"
allow = ["withdrawal.withdraw"]

[[only]]
account = "acme-cursos"
permission = "withdrawal.withdraw"
holders = ["owner", "profile:financiero"]

[[matrix]]
account = "acme-cursos"
file = "acme.matrix.json"
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    write(folder / "team.toml", TEAM)
    write(folder / "acme.toml", TESTS)
    return folder


def store_files(db_path: Target) -> dict[str, bytes]:
    """The SQLite store's files, byte for byte; on PostgreSQL, the dump of its rows."""
    if not isinstance(db_path, Path):
        return {"rows": "\n".join(dump(db_path)).encode()}
    return {
        p.name: p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    }


def test_works_with_no_store_at_all(cli: Cli, policy: Path, db_path: Path) -> None:
    assert not exists(db_path)
    written = ok(cli("test", str(policy), "--update"))
    assert written.stdout.splitlines() == ["6 passed, 0 failed"]
    result = ok(cli("test", str(policy)))  # no actor, no store: the file names the owner
    assert result.stdout.splitlines() == ["6 passed, 0 failed"]
    assert not exists(db_path)
    assert not isinstance(db_path, Path) or list(db_path.parent.glob("store.db*")) == []
    snapshot = json.loads((policy / "acme.matrix.json").read_text())
    assert list(snapshot["holders"]) == [OWNER, BRUNO, DIEGO]  # declared: counted as active


def test_judges_the_file_not_the_store_and_leaves_the_store_byte_for_byte(
    cli: Cli, policy: Path, db_path: Path, legal_account: str
) -> None:
    # live: bruno is only invited (pending), diego not at all
    ok(cli("invite", BRUNO, "--profile", "soporte", "-a", ACME))
    before = store_files(db_path)
    assert before
    assert ok(cli("test", str(policy), "--update")).stdout.endswith("6 passed, 0 failed\n")
    assert ok(cli("test", str(policy))).stdout == "6 passed, 0 failed\n"
    assert store_files(db_path) == before
    # the same tests against the live store fail: that is not the state it is in
    live = write(policy.parent / "live" / "acme.toml", TESTS.replace('team = "team.toml"\n', ""))
    (policy.parent / "live" / "acme.matrix.json").write_bytes(
        (policy / "acme.matrix.json").read_bytes()
    )
    result = ok(cli("test", str(live)), 1)
    assert f"{BRUNO} purchases.request_refunds: expected allowed, actual denied" in result.stdout


def test_a_pull_request_that_widens_withdrawal_fails(cli: Cli, policy: Path) -> None:
    ok(cli("test", str(policy), "--update"))
    widened = TEAM.replace(f'"{BRUNO}" = "soporte"', f'"{BRUNO}" = "financiero"')
    write(policy / "team.toml", widened)
    result = ok(cli("test", str(policy)), 1)
    lines = result.stdout.splitlines()
    assert (
        f"{policy / 'acme.toml'}:3: {ACME} {BRUNO} withdrawal.withdraw: expected denied,"
        " actual allowed (profile:financiero)" in lines
    )
    snap = policy / "acme.matrix.json"
    assert (
        f"{policy / 'acme.toml'}:19: {ACME} {BRUNO} -: expected role soporte ({snap}),"
        " actual role financiero" in lines
    )
    assert (
        f"{policy / 'acme.toml'}:19: {ACME} {BRUNO} withdrawal.withdraw: expected denied"
        f" ({snap}), actual allowed (profile:financiero)" in lines
    )
    # `only` still passes: bruno now holds it as profile:financiero, one of its holders
    assert lines[-1] == "3 passed, 3 failed"


def test_team_option_for_files_that_name_none(cli: Cli, tmp_path: Path) -> None:
    team = write(tmp_path / "team.toml", TEAM)
    tests = write(tmp_path / "t" / "acme.toml", TESTS.split("[[matrix]]")[0].replace(
        'team = "team.toml"\n', ""))  # fmt: skip
    assert ok(cli("test", str(tests), "--team", str(team))).stdout == "5 passed, 0 failed\n"


def test_owner_defaults_to_the_actor(cli: Cli, policy: Path) -> None:
    write(policy / "team.toml", TEAM.replace(f'owner = "{OWNER}"\n', ""))
    error, hint = failure(cli("test", str(policy)), 6)
    assert "team.toml, line 3" in error and "owner" in error and hint and "--as" in hint
    result = ok(cli("--as", OWNER, "test", str(policy), "--update"))
    assert result.stdout == "6 passed, 0 failed\n"


@pytest.mark.parametrize(
    ("team", "line", "words"),
    [
        (TEAM.replace('preset = "financiero"', 'permissions = ["account.bank"]'), 12, "owner"),
        (TEAM.replace('preset = "financiero"', 'permissions = ["nope"]'), 12, "nope"),
        (TEAM.replace('"soporte"\n"', '"soport"\n"'), 15, "soport"),
        (TEAM.replace("version = 1\n", "version = 1\nversion = 2\n"), 2, "TOML"),
        (TEAM.replace(f'"{DIEGO}"', '"not-an-email"'), 16, "not-an-email"),
    ],
)
def test_malformed_team_file_exits_6_naming_file_and_line(
    cli: Cli, policy: Path, db_path: Path, team: str, line: int, words: str
) -> None:
    write(policy / "team.toml", team)
    error, _ = failure(cli("test", str(policy)), 6)
    assert str(policy / "team.toml") in error and f"line {line}" in error and words in error
    assert not exists(db_path)


def test_missing_team_file_exits_6(cli: Cli, policy: Path) -> None:
    (policy / "team.toml").unlink()
    error, _ = failure(cli("test", str(policy / "acme.toml")), 6)
    assert "team.toml" in error


def test_access_until_in_the_file_is_judged(cli: Cli, policy: Path, clock: object) -> None:
    # the FakeClock stands at 2026-11-02: access that ends on 2026-12-31 is still on
    write(policy / "team.toml", TEAM.replace(
        f'"{DIEGO}" = "financiero"',
        f'"{DIEGO}" = {{ profile = "financiero", access_until = 2026-12-31 }}',
    ))  # fmt: skip
    write(
        policy / "acme.toml",
        f'team = "team.toml"\n[[check]]\naccount = "acme-cursos"\nuser = "{DIEGO}"\n'
        'allow = ["withdrawal.withdraw"]\n',
    )
    assert ok(cli("test", str(policy))).stdout == "1 passed, 0 failed\n"
    write(policy / "team.toml", TEAM.replace(
        f'"{DIEGO}" = "financiero"',
        f'"{DIEGO}" = {{ profile = "financiero", access_until = 2026-01-31 }}',
    ))  # fmt: skip
    error, _ = failure(cli("test", str(policy)), 6)
    assert "team.toml, line 16" in error and "not in the future" in error


def test_the_readme_example_passes_and_a_widening_fails(
    cli: Cli, tmp_path: Path, db_path: Path
) -> None:
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[2]
    example = tmp_path / "policy"
    shutil.copytree(root / "examples" / "policy", example)
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert (example / "acme.toml").read_text(encoding="utf-8") in readme  # README shows it
    report = tmp_path / "policy.xml"
    result = ok(cli("test", str(example), "--junit", str(report), "--min-coverage", "5"))
    assert result.stdout == "5 passed, 0 failed\n" and report.exists()
    assert not exists(db_path)
    team = example / "team.toml"
    team.write_text(
        team.read_text().replace(
            '"purchases.request_refunds",', '"purchases.request_refunds", "withdrawal.withdraw",'
        ),
        encoding="utf-8",
    )
    lines = ok(cli("test", str(example)), 1).stdout.splitlines()
    assert lines[-1] == "2 passed, 3 failed"
    # the job script in the README is a shell script that parses
    blocks = [block.split("```")[0] for block in readme.split("```sh\n")[1:]]
    [script] = [b for b in blocks if "colabctl test" in b and "--fail-on high" in b]
    assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0
