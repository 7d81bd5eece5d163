"""Shell completion (docs/config.md, "Shell completion"): Typer's --show-completion and
--install-completion, and values read from the store (slugs, profiles, people, permission
ids) under the rules of who may look, without ever creating a store. Completion goes
through `colabctl.cli.main`, whose lazy mounting must still offer the whole tree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import CARLA, OWNER, Cli, exists, ok

from colabctl.cli import main
from colabctl.store.engine import Target


def complete(
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    """What bash would be offered for the last (possibly empty) word of WORDS."""
    parts = words.split(" ")
    monkeypatch.setenv("_COLABCTL_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(parts) - 1))
    monkeypatch.setattr(sys, "argv", ["colabctl"])  # the shell passes no arguments
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code in (0, None)
    return capsys.readouterr().out.split()


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """ana owns acme-cursos (soporte, tecnico) and has invited carla (pending); carla owns
    carla-co, which ana knows nothing of."""
    ok(cli("--as", OWNER, "invite", CARLA, "--profile", "tecnico"))
    ok(cli("login", CARLA))
    ok(cli("account", "create", "carla-co", "--name", "Carla Co"))
    ok(cli("login", OWNER))
    return legal_account


def test_commands_from_the_whole_tree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    offered = complete("colabctl ", monkeypatch, capsys)
    assert {"login", "can", "who-can", "collaborator", "audit", "help", "demo"} <= set(offered)
    assert complete("colabctl collaborator ", monkeypatch, capsys) == [
        "list",
        "show",
        "set-profile",
        "set-access-until",
        "remove",
    ]


def test_account_slugs_are_the_actors_own(
    team: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete("colabctl matrix -a ", monkeypatch, capsys) == ["acme-cursos"]
    assert complete("colabctl use ", monkeypatch, capsys) == ["acme-cursos"]
    assert complete("colabctl account show acme", monkeypatch, capsys) == ["acme-cursos"]
    # carla owns carla-co and is only invited to acme-cursos
    assert complete(f"colabctl --as {CARLA} use ", monkeypatch, capsys) == ["carla-co"]


def test_invitation_slugs_for_accept_and_decline(
    team: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete(f"colabctl --as {CARLA} accept ", monkeypatch, capsys) == ["acme-cursos"]
    assert complete(f"colabctl --as {CARLA} decline a", monkeypatch, capsys) == ["acme-cursos"]
    assert complete("colabctl accept ", monkeypatch, capsys) == []


def test_profile_names_of_the_chosen_account(
    team: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete("colabctl profile show ", monkeypatch, capsys) == ["soporte", "tecnico"]
    assert complete("colabctl invite x@example.com -p s", monkeypatch, capsys) == ["soporte"]
    assert complete(
        "colabctl collaborator set-profile x@example.com -a acme-cursos t", monkeypatch, capsys
    ) == ["tecnico"]


def test_people_of_the_account(
    team: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete("colabctl can ", monkeypatch, capsys) == [OWNER, CARLA]
    assert complete("colabctl collaborator show c", monkeypatch, capsys) == [CARLA]
    assert complete("colabctl audit log --actor a", monkeypatch, capsys) == [OWNER]


def test_an_outsider_is_offered_nothing_about_an_account(
    team: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete("colabctl profile show -a carla-co ", monkeypatch, capsys) == []
    assert complete("colabctl can -a carla-co ", monkeypatch, capsys) == []
    assert complete("colabctl matrix -a carla", monkeypatch, capsys) == []


def test_permission_ids_presets_categories_and_languages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refunds = complete("colabctl can someone@example.com purchases.req", monkeypatch, capsys)
    assert refunds == ["purchases.request_refunds"]
    assert "withdrawal.withdraw" in complete("colabctl who-can w", monkeypatch, capsys)
    assert complete("colabctl profile create x --perm receipts.", monkeypatch, capsys) == [
        "receipts.send"
    ]
    assert complete("colabctl preset show g", monkeypatch, capsys) == ["gerente-afiliados"]
    assert complete("colabctl permissions --category p", monkeypatch, capsys) == [
        "products",
        "purchases",
    ]
    assert complete("colabctl matrix --lang ", monkeypatch, capsys) == ["es", "pt", "en"]


def test_completion_never_creates_a_store(
    db_path: Target,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLABCTL_USER", OWNER)
    assert complete("colabctl can ", monkeypatch, capsys) == []
    assert complete("colabctl matrix -a ", monkeypatch, capsys) == []
    other = tmp_path / "elsewhere.db"
    assert complete(f"colabctl --db {other} profile show ", monkeypatch, capsys) == []
    assert not exists(db_path) and not other.exists()


def test_show_completion_prints_the_script(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shell named, as a person would when the process tree does not say (a test
    # worker's does not always): Typer then takes the value instead of detecting it.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = ok(cli("--show-completion", "bash")).stdout
    assert "_COLABCTL_COMPLETE=complete_bash" in script
    assert "complete -o default -F" in script


def test_install_completion_writes_to_home(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # the shell named
    result = ok(cli("--install-completion", "bash"))
    assert "completion installed" in result.stdout
    assert "_COLABCTL_COMPLETE" in (home / ".bash_completions" / "colabctl.sh").read_text()
    assert ".bash_completions/colabctl.sh" in (home / ".bashrc").read_text()
