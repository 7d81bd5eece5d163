"""The entry point mounts only the running command's module: it must behave like the
whole tree. And `demo` builds its own file, never the user's store or config."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, failure
from typer.main import get_command

from colabctl.cli import MOUNTS, build, command_of, main


def _names(tree: object) -> set[str]:
    group = get_command(tree)  # type: ignore[arg-type]
    return set(group.commands)  # type: ignore[attr-defined]


def test_the_whole_tree_has_every_command_of_the_map() -> None:
    assert _names(build()) == set(MOUNTS)


@pytest.mark.parametrize("command", sorted(MOUNTS))
def test_each_command_mounts_alone(command: str) -> None:
    assert command in _names(build([command]))


def test_a_top_level_command_leaves_its_siblings_unbuilt() -> None:
    assert _names(build(["can"])) == {"can"}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["can", "a@example.com", "x"], "can"),
        (["--db", "x.db", "--as", "a@example.com", "profile", "list"], "profile"),
        (["--db", "can", "whoami"], "whoami"),
        (["--version"], None),
        ([], None),
        (["--", "matrix"], "matrix"),
    ],
)
def test_command_of_skips_root_options(argv: list[str], expected: str | None) -> None:
    assert command_of(argv) == expected


def test_main_answers_like_the_whole_tree(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["permissions", "--json"])
    assert done.value.code == 0
    perms = json.loads(capsys.readouterr().out)
    assert len(perms) == 41


def test_main_on_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2
    assert "frobnicate" in capsys.readouterr().err


def test_python_dash_m_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "colabctl", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("colabctl ")


def test_demo_builds_its_own_file_and_shows_it(cli: Cli, tmp_path: Path, db_path: Path) -> None:
    target = tmp_path / "demo.db"
    result = cli("demo", "--db", str(target))
    assert result.exit_code == 0, result.stderr
    assert not db_path.exists()  # the user's store (COLABCTL_DB) was not created
    assert not (tmp_path / "config.toml").exists()  # nor the user's config
    for heading in (
        "Profiles in acme-cursos",
        "Collaborators of acme-cursos",
        "Who can do what in acme-cursos",
        "whoami, as carla.mendes@example.com",
        "Try next:",
    ):
        assert heading in result.stdout
    conn = sqlite3.connect(target)
    try:
        profiles = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT p.name, count(pp.permission) FROM profiles p JOIN accounts a"
                " ON a.id = p.account_id JOIN profile_permissions pp ON pp.profile_id = p.id"
                " WHERE a.slug = 'acme-cursos' GROUP BY p.name"
            )
        }
        statuses = sorted(
            r[0]
            for r in conn.execute(
                "SELECT m.status FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " WHERE a.slug = 'acme-cursos'"
            )
        )
        carla = sorted(
            r[0]
            for r in conn.execute(
                "SELECT a.slug FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " JOIN users u ON u.id = m.user_id"
                " WHERE u.email = 'carla.mendes@example.com' AND m.status = 'active'"
            )
        )
    finally:
        conn.close()
    assert profiles == {"soporte": 10, "tecnico": 10, "financiero": 10, "gerente-afiliados": 8}
    assert statuses == ["active", "active", "active", "pending"]
    assert carla == ["acme-cursos", "beta-digital"]
    again = cli("demo", "--db", str(target))  # recreated, not added to
    assert again.exit_code == 0, again.stderr
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2
    finally:
        conn.close()
    verify = cli("--db", str(target), "audit", "verify")
    assert verify.exit_code == 0, verify.stdout


def test_a_bug_exits_8_never_1(cli: Cli, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    """An unexpected exception is an internal error (8), with a hint to report it: never 1,
    which a script reads as "no"."""
    from colabctl.core import access

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(access, "can", broken)
    result = cli("--as", "ana@example.com", "can", "bea@example.com", "products.view")
    error, hint = failure(result, 8)
    assert error == "error: internal error: KeyError: 'boom'"
    assert hint is not None and "COLABCTL_DEBUG=1" in hint and "report" in hint
    assert not db_path.exists()
    # with COLABCTL_DEBUG=1 the traceback is the point
    debug = cli(
        "--as",
        "a@example.com",
        "can",
        "b@example.com",
        "products.view",
        env={"COLABCTL_DEBUG": "1"},
    )
    assert isinstance(debug.exception, KeyError)
