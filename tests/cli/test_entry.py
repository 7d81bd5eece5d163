"""The entry point (cli/__init__.py) mounts only the running command's module, and of a
noun's group only the subcommand being run: it must behave like the whole tree."""

from __future__ import annotations

import json

import pytest
import typer
from support import Cli, colabctl, exists, ok
from typer.main import get_command

from colabctl import __version__
from colabctl.cli import MOUNTS, build, command_of, main, tree_for
from colabctl.store.engine import Target


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


def _subcommands(tree: object, group: str) -> set[str]:
    return set(get_command(tree).commands[group].commands)  # type: ignore[attr-defined, arg-type]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # the subcommand being run, alone
        (["profile", "edit", "soporte", "--add", "x"], {"edit"}),
        (["--as", "a@example.com", "collaborator", "--lang", "es", "list"], {"list"}),
        (["--", "collaborator", "list"], {"list"}),
        # the whole group: its help, a mistyped word (did you mean ...?), no word at all
        (["profile", "--help"], {"create", "list", "show", "edit", "delete", "export"}),
        (["profile", "lst"], {"create", "list", "show", "edit", "delete", "export"}),
        (["collaborator"], {"list", "show", "set-profile", "set-access-until", "remove"}),
    ],
)
def test_of_a_group_only_the_subcommand_being_run_is_built(
    argv: list[str], expected: set[str]
) -> None:
    group = command_of(argv)
    assert group is not None
    assert _subcommands(tree_for(argv), group) == expected


def test_a_group_with_options_of_its_own_is_built_whole() -> None:
    """`review -a ack list`: the word after the noun may be an option's value, so such a
    group (one with a callback) keeps every command."""
    from colabctl.cli import _narrowed

    group = typer.Typer()
    group.callback()(lambda account: None)
    for name in ("ack", "list"):
        group.command(name)(lambda: None)
    plain = typer.Typer()
    for name in ("ack", "list"):
        plain.command(name)(lambda: None)
    assert [i.name for i in _narrowed(group, "ack").registered_commands] == ["ack", "list"]
    assert [i.name for i in _narrowed(plain, "ack").registered_commands] == ["ack"]


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


@pytest.mark.slow
def test_python_dash_m_runs() -> None:
    result = colabctl("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("colabctl ")


def test_version(cli: Cli, db_path: Target) -> None:
    result = ok(cli("--version"))
    assert result.stdout == f"colabctl {__version__}\n"
    assert result.stderr == ""
    assert not exists(db_path)


def test_the_command_runs_with_the_collector_on_and_loading_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`colabctl` (colabctl.__main__.run) loads with the garbage collector off, freezes
    what loading built, and runs the command with the collector on: a batch or an apply
    still has its garbage collected."""
    import gc
    import signal

    import colabctl.cli
    from colabctl import __main__ as entry
    from colabctl.store import sql

    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr(
        colabctl.cli, "main", lambda: seen.append((gc.isenabled(), gc.get_freeze_count()))
    )
    monkeypatch.setattr(sql, "IGNORE_INTERRUPTS_AFTER_COMMIT", False)
    frozen_before, interrupt = gc.get_freeze_count(), signal.getsignal(signal.SIGINT)
    try:
        entry.run()
    finally:
        gc.unfreeze()
        gc.enable()
        signal.signal(signal.SIGINT, interrupt)
    ((enabled, frozen),) = seen
    assert enabled
    assert frozen > frozen_before  # everything loaded so far was frozen
