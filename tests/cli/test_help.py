"""`colabctl help exit-codes` and the root help: panels in their order, and the epilog
that points at the exit-code table (docs/exit-codes.md, docs/commands.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import Cli, ok

from colabctl.cli import MOUNTS, PANEL_OF, PANELS
from colabctl.errors import MEANINGS, ExitCode, head
from colabctl.i18n import _, set_language

DOCUMENTED_PANELS = [
    "Identity",
    "Accounts and profiles",
    "Team",
    "Access questions",
    "Team as code",
    "Audit and review",
    "Store and more",
]


def test_exit_codes_table_lists_every_code_with_its_meaning(cli: Cli) -> None:
    out = ok(cli("help", "exit-codes")).stdout
    for code, meaning in MEANINGS.items():
        row = next(line for line in out.splitlines() if re.match(rf"│\s+{int(code)} │", line))
        assert code.name.lower() in row
        assert meaning.split(":")[0] in row
    assert {130, 141, 8} <= {int(c) for c in MEANINGS}


def test_exit_codes_json(cli: Cli) -> None:
    found = json.loads(ok(cli("help", "exit-codes", "--json")).stdout)
    assert [row["code"] for row in found] == [int(code) for code in ExitCode]
    assert {row["code"]: row["meaning"] for row in found} == {
        int(code): text for code, text in MEANINGS.items()
    }
    assert {row["name"] for row in found} >= {"interrupted", "broken_pipe", "internal"}


def test_every_exit_code_has_a_meaning() -> None:
    assert set(MEANINGS) == set(ExitCode)


def test_every_mounted_command_sits_in_a_panel() -> None:
    assert set(MOUNTS) <= set(PANEL_OF)
    assert list(PANELS)[: len(DOCUMENTED_PANELS)] == DOCUMENTED_PANELS


def test_root_help_groups_commands_in_panels_in_order(cli: Cli) -> None:
    out = ok(cli("--help", env={"COLUMNS": "100"})).stdout
    headers = re.findall(r"╭─ (.+?) ─", out)
    shown = [h for h in headers if h in PANELS]
    assert shown == [panel for panel, members in PANELS.items() if members]
    # each command is listed inside its own panel's box
    for panel, members in PANELS.items():
        if not members:
            continue
        box = out.split(f"╭─ {panel} ─", 1)[1].split("╰", 1)[0]
        listed = re.findall(r"^│ (\S+)", box, re.M)
        assert listed == list(members), (panel, listed)


def test_root_help_points_at_the_exit_code_table(cli: Cli) -> None:
    out = ok(cli("--help", env={"COLUMNS": "400"})).stdout
    assert "`colabctl help exit-codes`" in out
    assert "8 internal error" in out


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_root_epilog_lists_every_code_with_its_meaning_s_head(cli: Cli, lang: str) -> None:
    """The epilog is generated from MEANINGS: each code, then the head of its meaning (up
    to its colon) in the language of the help, as `help exit-codes` shows the meaning."""
    out = " ".join(ok(cli("--help", "--lang", lang, env={"COLUMNS": "400"})).stdout.split())
    table = {row["code"]: row for row in json.loads(ok(cli("help", "exit-codes", "--json")).stdout)}
    set_language(lang)
    try:
        heads = [f"{int(code)} {head(_(meaning))}" for code, meaning in MEANINGS.items()]
    finally:
        set_language("en")
    assert ", ".join(heads) + ";" in out
    assert [int(code) for code in MEANINGS] == list(table)


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_every_meaning_has_a_head_in_every_language(lang: str) -> None:
    set_language(lang)
    try:
        translated = [_(meaning) for meaning in MEANINGS.values()]
    finally:
        set_language("en")
    for text in translated:
        assert ": " in text and 0 < len(head(text)) <= 30, text


def test_help_alone_lists_its_topics(cli: Cli) -> None:
    result = cli("help")
    assert result.exit_code in (0, 2)  # no_args_is_help: the group's help
    assert "exit-codes" in result.stdout + result.stderr


def test_docs_exit_codes_is_the_table_of_meanings() -> None:
    """docs/exit-codes.md's table is generated from MEANINGS (cog): every code, its name
    and its meaning, word for word."""
    page = (Path(__file__).parents[2] / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (\w+) \| (.+) \|$", page, re.M)
    assert rows == [
        (str(int(code)), code.name.lower(), MEANINGS[code].replace("|", "\\|")) for code in ExitCode
    ]


def test_no_help_paragraph_breaks_in_mid_sentence() -> None:
    """Typer keeps the line breaks of a help paragraph after the first, so a docstring
    wrapped in the source used to come out broken wherever the terminal was wider or
    narrower (`colabctl test --help`: "6 a" / "malformed"). Each paragraph is one line."""
    import typer

    from colabctl.cli import build

    def helps(command: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
        found = [(path, getattr(command, "help", None) or "")]
        for name, sub in getattr(command, "commands", {}).items():
            found += helps(sub, (*path, name))
        return found

    broken = [
        path
        for path, text in helps(typer.main.get_command(build()))
        if any("\n" in paragraph for paragraph in text.split("\n\n"))
    ]
    assert broken == []


def test_the_policy_test_help_reads_cleanly(cli: Cli) -> None:
    text = ok(cli("test", "--help", env={"COLUMNS": "200"})).stdout
    assert (
        "Exit 0 all passed, 1 any failed (or coverage below --min-coverage), 6 a malformed"
        " test or team file (file and line named), 7 a store error."
    ) in text
