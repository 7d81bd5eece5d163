"""Help that teaches (docs/commands.md, "Help"): every leaf command's --help ends with an
`Examples:` section, each line at most 76 characters, and every example works on a
fresh copy of the store `colabctl demo` builds, as its owner ana.souza@example.com.

The examples are read from the rendered --help (what a user sees and pastes) and run
through the same lazy mounting `colabctl` itself uses (`cli.tree_for(args)`: the command,
and of a group only the subcommand, being run).

Engines: SQLite only: the examples run on the store `colabctl demo` builds, always a file."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from support import START, FakeClock
from typer.testing import CliRunner

from colabctl.cli import build, command_of, tree_for
from colabctl.core import demo

MAX_EXAMPLE = 76
HELP_ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}


def leaves(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command a user can run: the leaves, and a group that runs by itself
    (`colabctl review` beside `colabctl review ack`)."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            if getattr(command, "invoke_without_command", False):
                yield (*path, name), command
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name), command


LEAVES = dict(leaves(typer.main.get_command(build())))


def rendered_help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(build(), [*path, "--help"], env=HELP_ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def examples_in(help_text: str) -> list[str]:
    """The example lines of a rendered --help; the section must be the last one."""
    lines = [line.strip() for line in help_text.splitlines()]
    assert "Examples:" in lines, help_text
    after = [line for line in lines[lines.index("Examples:") + 1 :] if line]
    assert after, help_text
    assert all(line.startswith("colabctl ") for line in after), after
    return after


def epilog_lines(command: Any) -> list[str]:
    lines = [line.strip() for line in (command.epilog or "").splitlines() if line.strip()]
    assert lines[:1] == ["Examples:"], command.epilog
    return lines[1:]


def test_the_tree_has_every_leaf_command() -> None:
    expected = {
        ("login",),
        ("logout",),
        ("whoami",),
        ("use",),
        ("account", "create"),
        ("can",),
        ("collaborator", "show"),
        ("help", "exit-codes"),
        ("demo",),
    }
    assert expected <= set(LEAVES)


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_help_ends_with_examples_that_fit_76_columns(path: tuple[str, ...]) -> None:
    shown = examples_in(rendered_help(path))
    # what the user sees is what the source says: no line wrapped, no markup eaten
    assert shown == epilog_lines(LEAVES[path])
    for line in shown:
        assert len(line) <= MAX_EXAMPLE, f"{len(line)} > {MAX_EXAMPLE}: {line}"
    # the command's own examples, not another's
    assert all(" ".join(path) in line for line in shown), shown


EXAMPLES = sorted({line for command in LEAVES.values() for line in epilog_lines(command)})


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    built = demo.build(folder / "colabctl-demo.db", clock=FakeClock(START))
    assert built.policy == folder / "demo-policy"
    return built.path


def expected_code(line: str) -> int:
    """0; 1 where the example's comment says the answer is no; N where it says `exit N`
    (a command that only works on another engine, shown on the demo's SQLite file)."""
    _, _, comment = line.partition("#")
    said = comment.strip().split(":")[0]
    if said.startswith("exit "):
        return int(said.removeprefix("exit "))
    return 1 if said == "no" else 0


def run(args: list[str]) -> Any:
    return CliRunner().invoke(tree_for(args), args)


@pytest.mark.parametrize("line", EXAMPLES)
def test_example_works_on_the_demo_store(
    line: str,
    demo_store: Path,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    store = work / "store.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{demo_store}{suffix}").exists():
            shutil.copy(f"{demo_store}{suffix}", f"{store}{suffix}")
    # the demo's sample policy tests sit beside its store, in ./demo-policy
    shutil.copytree(demo_store.parent / "demo-policy", work / "demo-policy")
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLABCTL_DB", str(store))
    monkeypatch.setenv("COLABCTL_USER", demo.OWNER)
    monkeypatch.setenv("COLABCTL_CONFIG", str(work / "config.toml"))
    words = shlex.split(line, comments=True)
    steps: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            steps.append([])
        else:
            steps[-1].append(word)
    for i, step in enumerate(steps):
        assert step[0] == "colabctl", line
        config = _content(work / "config.toml")
        result = run(step[1:])
        want = expected_code(line) if i == len(steps) - 1 else 0
        assert result.exit_code == want, (step, result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        # CI needs no login: with $COLABCTL_USER and no config file, every command works
        # and none but login, logout and use writes one (docs/config.md)
        written = _content(work / "config.toml") != config
        assert not written or command_of(step[1:]) in ("login", "logout", "use"), step


def _content(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def test_a_no_example_is_a_no() -> None:
    assert expected_code("colabctl can x y  # no") == 1
    assert expected_code("colabctl can x y  # no: pending") == 1
    assert expected_code("colabctl can x y") == 0
    assert expected_code("colabctl store bind a b  # exit 6: SQLite") == 6
    assert any(expected_code(line) == 1 for line in EXAMPLES)
