"""`colabctl test` against the live store (docs/policy-tests.md): each assertion kind
passing and failing, the failure lines, JUnit and JSON, snapshots, coverage, malformed
files, and what an outsider is told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import OWNER, Cli, dump, failure, ok, refused
from support import write

from colabctl.store.engine import Target

ACME = "acme-cursos"
BRUNO = "bruno.costa@example.com"  # active, soporte
CARLA = "carla.mendes@example.com"  # active, tecnico
DIEGO = "diego.rocha@example.com"  # pending, tecnico
OUTSIDER = "fabio.lima@example.com"  # registered, owns beta-digital


@pytest.fixture
def acme(cli: Cli, legal_account: str) -> str:
    """ana owns acme-cursos (soporte, tecnico); bruno and carla are active, diego pending;
    fabio owns beta-digital and nothing in acme."""
    for email, profile in ((BRUNO, "soporte"), (CARLA, "tecnico"), (DIEGO, "tecnico")):
        ok(cli("--as", OWNER, "invite", email, "--profile", profile, "-a", ACME))
    for email in (BRUNO, CARLA):
        ok(cli("--as", email, "accept", ACME))
    ok(cli("login", OUTSIDER))
    ok(cli("--as", OUTSIDER, "account", "create", "beta-digital", "--name", "Beta"))
    ok(cli("login", OWNER))
    return ACME


CHECKS = f"""\
# bruno is support
[[check]]
account = "acme-cursos"
user = "{BRUNO}"
allow = ["purchases.request_refunds", "Ver Productos"]
deny = ["withdrawal.withdraw", "account.bank"]

[[check]]
account = "acme-cursos"
user = "{OWNER}"
allow = ["account.bank"]
"""


def closing(result: Any) -> str:
    lines: list[str] = result.stdout.splitlines()
    return lines[-1]


def test_checks_pass(cli: Cli, acme: str, tmp_path: Path) -> None:
    tests = write(tmp_path / "policy" / "acme.toml", CHECKS)
    result = ok(cli("test", str(tests)))
    assert result.stdout.splitlines() == ["5 passed, 0 failed"]


def test_failing_allow_and_deny_name_file_line_account_user_permission(
    cli: Cli, acme: str, tmp_path: Path
) -> None:
    tests = write(
        tmp_path / "acme.toml",
        CHECKS
        + f"""
[[check]]
account = "acme-cursos"
user = "{BRUNO}"
allow = ["withdrawal.withdraw"]
deny = ["products.view"]

[[check]]
account = "acme-cursos"
user = "{DIEGO}"
allow = ["tools.listboss"]
""",
    )
    result = ok(cli("test", str(tests)), 1)
    assert result.stdout.splitlines() == [
        f"{tests}:13: acme-cursos {BRUNO} withdrawal.withdraw: expected allowed,"
        " actual denied (not-granted)",
        f"{tests}:13: acme-cursos {BRUNO} products.view: expected denied,"
        " actual allowed (profile:soporte)",
        f"{tests}:19: acme-cursos {DIEGO} tools.listboss: expected allowed,"
        " actual denied (invitation-pending)",
        "5 passed, 3 failed",
    ]


def test_only_passes_and_fails_per_holder(cli: Cli, acme: str, tmp_path: Path) -> None:
    tests = write(
        tmp_path / "only.toml",
        f"""\
[[only]]
account = "acme-cursos"
permission = "withdrawal.withdraw"
holders = ["owner"]

[[only]]
account = "acme-cursos"
permission = "purchases.request_refunds"
holders = ["owner", "profile:soporte"]

[[only]]
account = "acme-cursos"
permission = "tools.listboss"
holders = ["owner", "{CARLA.upper()}"]

[[only]]                      # carla (tecnico) holds it too
account = "acme-cursos"
permission = "tools.listboss"
holders = ["owner", "profile:soporte"]
""",
    )
    result = ok(cli("test", str(tests)), 1)
    assert result.stdout.splitlines() == [
        f"{tests}:16: acme-cursos {CARLA} tools.listboss: expected held only by owner,"
        " profile:soporte, actual allowed (profile:tecnico)",
        "3 passed, 1 failed",
    ]


MATRIX = """\
[[matrix]]
account = "acme-cursos"
file = "acme.matrix.json"
"""


def test_matrix_update_then_clean_then_profile_edit_fails_with_a_diff(
    cli: Cli, acme: str, tmp_path: Path, db_path: Path
) -> None:
    tests = write(tmp_path / "m.toml", MATRIX)
    snapshot = tmp_path / "acme.matrix.json"
    missing = ok(cli("test", str(tests)), 1)
    assert "no such file (write it: --update)" in missing.stdout
    assert not snapshot.exists()

    before = dump(db_path)
    written = ok(cli("test", str(tests), "--update"))
    assert "wrote" in written.stderr and closing(written) == "1 passed, 0 failed"
    assert dump(db_path) == before  # --update writes the snapshot, never the store
    data = json.loads(snapshot.read_text())
    assert data["account"] == ACME
    assert list(data["holders"]) == [OWNER, BRUNO, CARLA]  # diego is pending: holds nothing
    assert data["holders"][BRUNO]["role"] == "soporte"
    assert ok(cli("test", str(tests))).stdout.splitlines() == ["1 passed, 0 failed"]

    ok(cli("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "--remove",
           "products.view", "-a", ACME))  # fmt: skip
    result = ok(cli("test", str(tests)), 1)
    snap = tmp_path / "acme.matrix.json"
    assert result.stdout.splitlines() == [
        f"{tests}:1: acme-cursos {BRUNO} products.view: expected allowed ({snap}),"
        " actual denied (not-granted)",
        f"{tests}:1: acme-cursos {BRUNO} withdrawal.withdraw: expected denied ({snap}),"
        " actual allowed (profile:soporte)",
        "0 passed, 1 failed",
    ]
    ok(cli("collaborator", "remove", CARLA, "-a", ACME))
    gone = ok(cli("test", str(tests)), 1).stdout
    assert f"{CARLA} tools.listboss: expected allowed ({snap}), actual denied (revoked)" in gone


def test_junit_parsed_back(cli: Cli, acme: str, tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    write(tmp_path / "policy" / "a.toml", CHECKS)  # 5 cases, all pass
    write(
        tmp_path / "policy" / "b.toml",
        f"""\
[[check]]
account = "acme-cursos"
user = "{CARLA}"
allow = ["withdrawal.withdraw", "tools.listboss"]

[[only]]
account = "acme-cursos"
permission = "tools.listboss"
holders = ["owner"]
""",
    )
    report = tmp_path / "out" / "policy.xml"
    report.parent.mkdir()
    result = ok(cli("test", str(tmp_path / "policy"), "--junit", str(report)), 1)
    assert closing(result) == "6 passed, 2 failed"
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert [s.name for s in suites] == [
        str(tmp_path / "policy" / "a.toml"),
        str(tmp_path / "policy" / "b.toml"),
    ]
    assert [(s.tests, s.failures) for s in suites] == [(5, 0), (3, 2)]
    cases = [case for suite in suites for case in suite]
    assert len(cases) == 8
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    assert len(failed) == 2
    assert "withdrawal.withdraw" in failed[0].result[0].message
    assert list(report.parent.iterdir()) == [report]  # written whole: no temporary left


def test_junit_never_replaces_the_store(
    cli: Cli, acme: str, tmp_path: Path, db_path: Target
) -> None:
    """The results are printed all the same; then the refusal (4), the store untouched."""
    tests = write(tmp_path / "a.toml", CHECKS)
    before = dump(db_path)
    result = cli("test", str(tests), "--junit", str(db_path))
    assert result.exit_code == 4
    assert result.stdout.splitlines()[-1] == "5 passed, 0 failed"
    said = result.stderr.splitlines()[-2]
    if isinstance(db_path, Path):
        assert said.startswith(f"error: {db_path} is the store"), said
    else:  # a server's store: the URL names no file that could be written
        assert said.startswith("error: the output names a PostgreSQL database"), said
    assert dump(db_path) == before


def test_json_document(cli: Cli, acme: str, tmp_path: Path) -> None:
    tests = write(tmp_path / "a.toml", CHECKS)
    result = ok(cli("test", str(tests), "--json"))
    data = json.loads(result.stdout)
    assert (data["passed"], data["failed"]) == (5, 0)
    cases = data["files"][0]["cases"]
    assert [(c["kind"], c["permission"], c["allowed"], c["reason"]) for c in cases] == [
        ("allow", "purchases.request_refunds", True, "profile:soporte"),
        ("allow", "products.view", True, "profile:soporte"),
        ("deny", "withdrawal.withdraw", False, "not-granted"),
        ("deny", "account.bank", False, "owner-only"),
        ("allow", "account.bank", True, "owner"),
    ]
    assert data["coverage"]["named"] == [
        "products.view",
        "purchases.request_refunds",
        "withdrawal.withdraw",
    ]


def test_min_coverage(cli: Cli, acme: str, tmp_path: Path) -> None:
    tests = write(tmp_path / "a.toml", CHECKS)
    ok(cli("test", str(tests), "--min-coverage", "8"))  # 3 of 37 delegable: 8.1%
    result = ok(cli("test", str(tests), "--min-coverage", "8.2"), 1)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("coverage: 3 of 37 delegable permissions (8.1%), below")
    assert "  purchases.change_buyer_email" in lines
    assert "  withdrawal.withdraw" not in lines and "  account.bank" not in lines
    assert len(lines) == 1 + 34 + 1 and lines[-1] == "5 passed, 0 failed"
    failure(cli("test", str(tests), "--min-coverage", "101"), 6)


def test_folder_skips_team_files_beside_the_tests(cli: Cli, acme: str, tmp_path: Path) -> None:
    write(tmp_path / "ci" / "acme.toml", CHECKS)
    write(tmp_path / "ci" / "team.toml", 'version = 1\n[accounts.acme-cursos]\nname = "Acme"\n')
    write(tmp_path / "ci" / "notes.txt", "not toml")
    write(tmp_path / "ci" / "other.toml", 'title = "not a test"\n')
    result = ok(cli("test", str(tmp_path / "ci")))
    assert closing(result) == "5 passed, 0 failed"
    assert "skipped" in result.stderr and "other.toml" in result.stderr
    assert "team.toml" not in result.stderr  # team files beside the tests are expected
    # named on its own, a team file is not a test file
    error, hint = failure(cli("test", str(tmp_path / "ci" / "team.toml")), 6)
    assert "team.toml" in error and hint is not None and "--team" in hint
    failure(cli("test", str(tmp_path / "empty-folder-that-does-not-exist")), 6)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[check]]\naccount = "acme-cursos"\nuser = "x@y.z"\nallow = ["a" "b"]\n', 4, "TOML"),
        (
            '\n[[check]]\naccount = "acme-cursos"\nuser = "x@y.z"\n'
            'allow = [\n  "products.view",\n  "products.veiw",\n]\n',
            7,
            "unknown permission",
        ),
        (
            '[[check]]\naccount = "acme-cursos"\nuser = "x@y.z"\nalow = ["products.view"]\n',
            4,
            "alow",
        ),
        ('[[check]]\naccount = "acme-cursos"\nuser = "x@y.z"\n', 1, "allow"),
        ('[[check]]\naccount = "Acme Cursos"\nuser = "x@y.z"\ndeny = []\n', 2, "account"),
        (
            '[[only]]\naccount = "acme-cursos"\npermission = "products.view"\n'
            'holders = ["owner", "soporte"]\n',
            4,
            "soporte",
        ),
        ('[[only]]\naccount = "acme-cursos"\nholders = ["owner"]\n', 1, "permission"),
        ('[[matrix]]\naccount = "acme-cursos"\n', 1, "file"),
        ('team = 3\n[[matrix]]\naccount = "acme-cursos"\nfile = "x.json"\n', 1, "team"),
        ('[[chek]]\naccount = "acme-cursos"\n[[check]]\n', 1, "chek"),
    ],
)
def test_malformed_test_files_exit_6_naming_file_and_line(
    cli: Cli, acme: str, tmp_path: Path, db_path: Path, text: str, line: int, words: str
) -> None:
    tests = write(tmp_path / "bad.toml", text)
    result = refused(cli, db_path, 6, "test", str(tests))
    error = result.stderr.splitlines()[0]
    assert str(tests) in error and f"line {line}" in error and words in error, error


def test_malformed_snapshot_exits_6_naming_file_and_line(
    cli: Cli, acme: str, tmp_path: Path
) -> None:
    tests = write(tmp_path / "m.toml", MATRIX)
    write(tmp_path / "acme.matrix.json", '{\n  "account": "acme-cursos",\n  "holders": {,}\n}\n')
    error, _ = failure(cli("test", str(tests)), 6)
    assert "acme.matrix.json, line 3" in error


def test_outsider_gets_unknown_account_for_every_kind_and_learns_nothing(
    cli: Cli, acme: str, tmp_path: Path, db_path: Path
) -> None:
    def run(slug: str) -> list[str]:
        tests = write(
            tmp_path / f"{slug}.toml",
            f"""\
[[check]]
account = "{slug}"
user = "{BRUNO}"
allow = ["products.view"]
deny = ["withdrawal.withdraw"]

[[only]]
account = "{slug}"
permission = "withdrawal.withdraw"
holders = ["owner"]

[[matrix]]
account = "{slug}"
file = "{slug}.json"
""",
        )
        before = dump(db_path)
        result = ok(cli("--as", OUTSIDER, "test", str(tests), "--update"), 1)
        assert dump(db_path) == before
        assert not (tmp_path / f"{slug}.json").exists()
        return [line.replace(slug, "SLUG") for line in result.stdout.splitlines()]

    real, missing = run(ACME), run("no-such-account")
    assert real == missing  # an outsider cannot tell a real account from a missing one
    assert real[-1] == "0 passed, 4 failed"  # the deny fails too
    assert all("unknown-account" in line for line in real[:-1])


def test_collaborator_reads_as_matrix_would(cli: Cli, acme: str, tmp_path: Path) -> None:
    tests = write(tmp_path / "a.toml", CHECKS)
    assert closing(ok(cli("--as", CARLA, "test", str(tests)))) == "5 passed, 0 failed"
    # diego is pending: may ask about himself (as `can` answers him), nothing else
    mine = write(
        tmp_path / "d.toml",
        f'[[check]]\naccount = "acme-cursos"\nuser = "{DIEGO}"\ndeny = ["products.view"]\n',
    )
    assert closing(ok(cli("--as", DIEGO, "test", str(mine)))) == "1 passed, 0 failed"
    assert "unknown-account" in ok(cli("--as", DIEGO, "test", str(tests)), 1).stdout


def test_live_mode_needs_an_actor_and_a_usable_store(
    cli: Cli, acme: str, tmp_path: Path, db_path: Path
) -> None:
    tests = write(tmp_path / "a.toml", CHECKS)
    ok(cli("logout"))
    refused(cli, db_path, 5, "test", str(tests))
    broken = write(tmp_path / "broken.db", "this is not a store" * 100)
    failure(cli("--db", str(broken), "--as", OWNER, "test", str(tests)), 7)
