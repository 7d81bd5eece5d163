"""Tables at any width (docs/commands.md, "Output"): ids, slugs, emails, timestamps,
permission and finding ids are never split across lines, free text wraps only between
words, and a table whose ids cannot fit the width is printed stacked, one block of
`key: value` lines per row. On a pipe without COLUMNS, tables keep their natural width.

Every table command runs at 60, 80 and 120 columns and piped, on a store whose emails,
names and descriptions are long enough to make each width matter. What is checked: every
word the natural-width table shows is shown whole at every width, and no line is wider
than the width unless it is a stacked `key: value` line whose value is one word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Built, Templates, built_by_cli, copy_built
from support import BOB, CNPJ, OWNER, Cli, ok

from colabctl.cli import output
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

ACME = "acme-cursos"
# 64 characters before the @, the most an address may have there
LONG = "a-very-long-local-part-that-no-eighty-column-table-could-hold-xyz@example.com"
DESCRIPTION = (
    "Refunds and nothing else: the people who answer buyers when a course did not meet"
    " what its page promised, within the seven days the law gives"
)
REASON = "bruno has handled refunds for three years and the finance team reviews each one"

STEPS = [
    ["login", OWNER, "--name", "Ana Souza de Albuquerque e Vasconcelos Cavalcanti"],
    ["account", "create", ACME, "--name", "Acme Cursos Online de Marketing Digital e Vendas"],
    ["account", "set-tax-id", ACME, CNPJ, "--country", "BR"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
    ["profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
    ["profile", "create", "reembolsos", "--perm", "purchases.request_refunds", "-a", ACME],
    ["profile", "edit", "reembolsos", "--description", DESCRIPTION, "-a", ACME],
    ["invite", LONG, "--profile", "soporte", "-a", ACME],
    ["invite", BOB, "--profile", "soporte", "-a", ACME, "--access-until", "2027-03-31"],
    ["--as", BOB, "login", BOB, "--name", "Bob"],
    ["--as", BOB, "accept", ACME],
]

COMMANDS = {
    "account list": ["account", "list"],
    "account show": ["account", "show", ACME],
    "whoami": ["whoami"],
    "whoami --account": ["whoami", "--account", ACME],
    "permissions": ["permissions"],
    "preset list": ["preset", "list"],
    "preset show": ["preset", "show", "gerente-afiliados"],
    "profile list": ["profile", "list", "-a", ACME],
    "profile show": ["profile", "show", "soporte", "-a", ACME],
    "collaborator list": ["collaborator", "list", "-a", ACME],
    "collaborator show": ["collaborator", "show", BOB, "-a", ACME],
    "who-can": ["who-can", "purchases.request_refunds", "-a", ACME],
    "matrix": ["matrix", "-a", ACME],
    "matrix --by-category": ["matrix", "--by-category", "-a", ACME],
    "audit log": ["audit", "log", "-a", ACME],
    "review": ["review", "-a", ACME],
    "store info": ["store", "info"],
    "help exit-codes": ["help", "exit-codes"],
}
WIDTHS = (60, 80, 120)


@pytest.fixture
def team(cli: Cli, templates: Templates, engine: str, db_path: Target, tmp_path: Path) -> None:
    def build(folder: Path, store: Target) -> Built:
        return built_by_cli(folder, [list(step) for step in STEPS], store)

    copy_built(templates.get("tables", engine, build), db_path, tmp_path)
    # a finding acknowledged with a long reason: the review's status is free text
    found = json.loads(ok(cli("--as", OWNER, "review", "-a", ACME, "--json")).stdout)
    finding = next(f for f in found["findings"] if BOB in f["subject"])
    ok(cli("--as", OWNER, "review", "ack", finding["id"], "--reason", REASON, "-a", ACME))


def run(cli: Cli, args: list[str], columns: int | None, monkeypatch: pytest.MonkeyPatch) -> str:
    output.console.cache_clear()  # the width is decided once per process
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    result = ok(cli("--as", OWNER, *args))
    output.console.cache_clear()
    return result.stdout


def is_border(char: str) -> bool:
    return "\u2500" <= char <= "\u257f"  # the box-drawing block


def words(text: str) -> set[str]:
    """The words a table shows, its headers aside (a stacked block leaves out the keys of
    empty cells): borders gone, a stacked key's colon gone."""
    lines = text.splitlines()
    tops = [i for i, line in enumerate(lines) if line.startswith("┏")]
    bottoms = [i for i, line in enumerate(lines) if line.startswith("┡")]
    headers = {i for top, bottom in zip(tops, bottoms, strict=True) for i in range(top, bottom)}
    found = set()
    for i, line in enumerate(lines):
        if i in headers:
            continue
        for token in line.split():
            token = "".join(c for c in token if not is_border(c)).removesuffix(":")
            if token:
                found.add(token)
    return found


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_table_at_every_width(
    name: str, cli: Cli, team: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = COMMANDS[name]
    natural = run(cli, args, None, monkeypatch)
    assert "┏" in natural, natural  # piped: a table at its natural width, never stacked
    assert "…" not in natural
    shown = words(natural)
    for width in WIDTHS:
        text = run(cli, args, width, monkeypatch)
        assert "…" not in text
        missing = shown - words(text)
        assert not missing, f"split or lost at {width} columns: {sorted(missing)}\n{text}"
        for line in text.splitlines():
            # a line wider than the width: only where one word (an id) is too wide itself
            assert len(line) <= width or max(map(len, line.split())) > width - 25, line


def test_piped_rows_keep_every_cell_on_one_line(
    cli: Cli, team: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = run(cli, ["collaborator", "list", "-a", ACME], None, monkeypatch)
    row = next(line for line in text.splitlines() if LONG in line)
    assert "soporte" in row and "pending" in row and row.count("T") >= 2, row
    assert max(len(line) for line in text.splitlines()) > 120  # not squeezed to a terminal's


def test_stacked_when_ids_cannot_fit(cli: Cli, team: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 60 columns the collaborators' emails and timestamps cannot sit side by side: one
    block per person, each value whole on its line."""
    text = run(cli, ["collaborator", "list", "-a", ACME], 60, monkeypatch)
    assert "┏" not in text
    assert f"user:         {LONG}" in text.splitlines()
    assert any(line.startswith("invited:") and line.endswith("Z") for line in text.splitlines())


def test_review_keeps_the_finding_id_whole_at_80_columns(
    cli: Cli, team: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(ok(cli("--as", OWNER, "review", "-a", ACME, "--json")).stdout)
    text = run(cli, ["review", "-a", ACME], 80, monkeypatch)
    for finding in data["findings"]:
        assert finding["id"] in text.split(), finding["id"]


@pytest.mark.engines("sqlite")  # demo builds a SQLite file
def test_the_demo_at_every_width(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def demo(columns: int | None) -> str:
        output.console.cache_clear()
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", str(columns))
        shown = ok(cli("demo", "--db", str(tmp_path / "demo.db"))).stdout
        output.console.cache_clear()
        return shown

    natural = demo(None)
    assert natural.count("┏") == 4  # profiles, collaborators, the matrix, whoami
    for width in WIDTHS:
        text = demo(width)
        missing = words(natural) - words(text)
        assert not missing, f"split or lost at {width} columns: {sorted(missing)}\n{text}"
        tables, _, commands = text.partition("Try next:")  # command lines, to copy whole
        assert commands
        for line in tables.splitlines():
            assert len(line) <= width or max(map(len, line.split())) > width - 25, line


@pytest.mark.engines("sqlite")  # the drawing is the same whichever engine read the rows
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_table_is_drawn_as_rich_drew_it(
    name: str, cli: Cli, team: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """colabctl draws its tables itself (cli/boxes.py); rich drew them before, and still
    draws what boxes cannot match (output._rich_draws). Every table command's output is
    the same bytes either way: piped, at each width, and styled (FORCE_COLOR: rich's
    terminal, bold headers and section labels; NO_COLOR, set for every test, takes
    colours away, never bold)."""
    args = COMMANDS[name]
    for styled in (False, True):
        if styled:
            monkeypatch.setenv("FORCE_COLOR", "1")
            monkeypatch.setenv("TERM", "xterm-256color")
        for width in (None, *WIDTHS):
            ours = run(cli, args, width, monkeypatch)
            with monkeypatch.context() as rich_only:
                rich_only.setattr(output, "_rich_draws", lambda *_: True)
                assert run(cli, args, width, monkeypatch) == ours, (styled, width)
            if styled and "┏" in ours:
                assert "\x1b[1m" in ours  # the comparison is of styled tables
