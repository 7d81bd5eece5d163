"""The `Examples:` of `test`, `review` and `review ack` are real command lines that work
against the store `colabctl demo` builds, as its owner; `test`'s read the example test
folder of the README (examples/policy, copied to ./policy)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from conftest import Cli, FakeClock, ok

from colabctl.cli import policy, review
from colabctl.core import demo

ROOT = Path(__file__).resolve().parents[2]


def example_lines(epilog: str | None) -> list[str]:
    assert (epilog or "").startswith("Examples:")
    return [line.strip() for line in (epilog or "").splitlines()[1:] if line.strip()]


[TEST] = [c for c in policy.app.registered_commands if c.name is None or c.name == "test"]
[ACK] = [c for c in review.app.registered_commands if c.name == "ack"]
assert review.app.registered_callback is not None
LINES = [
    *example_lines(TEST.epilog),
    *example_lines(review.app.registered_callback.epilog),
    *example_lines(ACK.epilog),
]


@pytest.mark.parametrize("line", LINES)
def test_example_works_on_the_demo_store(
    cli: Cli, line: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(line) <= 76, line
    store = tmp_path / "demo.db"
    demo.build(store, clock=clock)
    shutil.copytree(ROOT / "examples" / "policy", tmp_path / "policy")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLABCTL_DB", str(store))
    monkeypatch.setenv("COLABCTL_USER", demo.OWNER)
    code_part, _, comment = line.partition("#")
    words = shlex.split(code_part)
    assert words[0] == "colabctl", line
    expected = 1 if comment.strip().startswith("no") else 0
    ok(cli(*words[1:]), expected)


def test_there_are_examples() -> None:
    assert len(LINES) >= 8
