"""Options that cannot go together (docs/commands.md, "Options that cannot go together"):
every such pair is a usage error (exit 2, Typer's own usage message), refused before
anything is read or written, and said the same way everywhere: "A cannot be used with B"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import ACME, OWNER, Cli, dump

from colabctl.store.engine import Target

PAIRS = [
    (["profile", "create", "xy", "--preset", "soporte", "--from", "{file}"], "--preset", "--from"),
    (["can", "--batch", "{file}", "bea@example.com"], "--batch", "EMAIL"),
    (["can", "--batch", "{file}", "--any", "--explain"], "--batch", "--any or --explain"),
    (["who-can", "products.view", "-a", ACME, "--all-accounts"], "--account", "--all-accounts"),
    (["review", "-a", ACME, "--all-accounts"], "--account", "--all-accounts"),
    (["export", "-a", ACME, "--all"], "--account", "--all"),
    (["apply", "{file}", "-f", "{file}"], "PLAN.json", "--file"),
    (["report", "-a", ACME, "--all-accounts"], "--account", "--all-accounts"),
    (
        ["plan", "-f", "{file}", "--fail-on", "high", "--detailed-exitcode"],
        "--fail-on",
        "--detailed-exitcode",
    ),
]


@pytest.mark.parametrize(("args", "first", "second"), PAIRS, ids=lambda a: str(a)[:30])
def test_a_pair_that_cannot_go_together_is_a_usage_error(
    cli: Cli, legal_account: str, db_path: Target, tmp_path: Path, args: list[str], first: str,
    second: str,
) -> None:  # fmt: skip
    given = tmp_path / "given.toml"
    given.write_text(json.dumps({"user": OWNER, "account": ACME, "permission": "x"}) + "\n")
    before = dump(db_path)
    result = cli("--as", OWNER, *(arg.format(file=given) for arg in args))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stderr).split())
    assert f"{first} cannot be used with {second}" in said, said
    assert said.startswith("Usage: colabctl ")
    assert dump(db_path) == before
