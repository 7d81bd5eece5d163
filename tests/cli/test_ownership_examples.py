"""The `Examples:` of the ownership and temporary-access commands are real command lines
that work against the store `colabctl demo` builds (acting as its owner unless the line
says `--as`)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import Cli, FakeClock, ok

from colabctl.cli import accounts, collaborators
from colabctl.core import demo

# command path -> what must have happened before its examples can run
PREREQUISITES: dict[tuple[str, ...], list[list[str]]] = {
    ("account", "transfer"): [],
    ("account", "accept-transfer"): [
        ["account", "transfer", "acme-cursos", "bruno.costa@example.com"]
    ],
    ("account", "cancel-transfer"): [
        ["account", "transfer", "acme-cursos", "bruno.costa@example.com"]
    ],
    ("collaborator", "set-access-until"): [],
}


def example_lines(path: tuple[str, ...]) -> list[str]:
    noun, name = path
    typer_app = accounts.app if noun == "account" else collaborators.collaborator_app
    [info] = [c for c in typer_app.registered_commands if c.name == name]
    epilog = info.epilog or ""
    assert epilog.startswith("Examples:"), path
    return [line.strip() for line in epilog.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("path", list(PREREQUISITES), ids=" ".join)
def test_examples_work_on_the_demo_store(
    cli: Cli,
    path: tuple[str, ...],
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = example_lines(path)
    assert lines, path
    for i, line in enumerate(lines):
        assert len(line) <= 76, line
        store = tmp_path / f"demo-{i}.db"
        demo.build(store, clock=clock)
        monkeypatch.setenv("COLABCTL_DB", str(store))
        monkeypatch.setenv("COLABCTL_USER", demo.OWNER)
        for before in PREREQUISITES[path]:
            ok(cli(*before))
        words = shlex.split(line)
        assert words[0] == "colabctl", line
        ok(cli(*words[1:]))
