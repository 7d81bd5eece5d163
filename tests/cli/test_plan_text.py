"""Plans people can read (docs/team-file.md, "Reading a plan"): a profile change names
who gains and loses what (at most 10 people, then "and N more"); invitations to one
profile form one block whose gains are said once; the high-risk legend only when
something is high-risk; lines wrapped at word boundaries to an explicit COLUMNS, never
inside a permission id or an email, and left whole on a pipe without COLUMNS."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import OWNER, Cli, ok
from support import exported
from test_plan_apply import write

from colabctl.cli import output
from colabctl.cli import team as cli_team

ACME = "acme-cursos"


@pytest.fixture(autouse=True)
def unwrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans at their natural width (a pipe without COLUMNS), unless a test says otherwise."""
    monkeypatch.delenv("COLUMNS")
    output.console.cache_clear()


def holders(cli: Cli, count: int, profile: str = "soporte") -> list[str]:
    """COUNT active holders of PROFILE, in the order their emails sort."""
    people = [f"p{i:02d}@example.com" for i in range(count)]
    for email in people:
        ok(cli("--as", OWNER, "invite", email, "--profile", profile, "-a", ACME))
        ok(cli("--as", email, "accept", ACME))
    return people


def test_a_profile_change_names_ten_people_then_counts(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    people = holders(cli, 12)
    edited = exported(cli).replace('"purchases.change_buyer_email", ', "")
    shown = ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, edited))).stdout
    named = ", ".join(people[:10])
    assert f"-purchases.change_buyer_email! for 12 people: {named}, and 2 more\n" in shown
    assert people[10] not in shown and people[11] not in shown
    data = json.loads(
        ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, edited), "--json")).stdout
    )
    assert sorted(data["changes"][0]["losses"]) == people  # JSON names everyone


def test_three_thousand_invitations_fit_before_the_prompt(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [f"person{i:04d}@example.com" for i in range(3000)]
    text = exported(cli) + "".join(f'"{email}" = "soporte"\n' for email in people)
    path = write(tmp_path, text)
    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    result = cli("--as", OWNER, "apply", "-f", path, input="n\n")
    assert result.exit_code == 0 and "nothing was changed" in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) < 100, len(lines)
    assert f"  + 3,000 invitations as soporte: {', '.join(people[:10])}, and 2,990 more" in lines
    (gains,) = [line for line in lines if line.startswith("      each gains on acceptance: ")]
    assert "purchases.request_refunds!" in gains
    assert "Plan: 3,000 changes: 3,000 to add, 0 to change, 0 to remove. (! high risk)" in lines
    assert "  new medium high-risk-holder: and 2,990 more like these" in lines
    data = json.loads(ok(cli("--as", OWNER, "plan", "-f", path, "--json")).stdout)
    assert [c["target"] for c in data["changes"]] == people  # --json lists every one


def test_the_legend_only_when_something_is_high_risk(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    renamed = exported(cli).replace('name = "Acme Cursos"', 'name = "Acme Renomeada"')
    shown = ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, renamed))).stdout
    assert shown.splitlines()[-1] == "Plan: 1 change: 0 to add, 1 to change, 0 to remove."
    assert "!" not in shown
    invited = exported(cli) + '"eva@example.com" = "soporte"\n'
    shown = ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, invited))).stdout
    assert shown.splitlines()[-1].endswith("to remove. (! high risk)")


WRAPPED_FILE_TAIL = '"eva@example.com" = "soporte"\n"fabi@example.com" = "tecnico"\n'


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_plans_wrap_at_word_boundaries(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    path = write(tmp_path, exported(cli) + WRAPPED_FILE_TAIL)
    monkeypatch.setenv("COLUMNS", str(columns))
    output.console.cache_clear()
    shown = ok(cli("--as", OWNER, "plan", "-f", path)).stdout
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= columns
    ids = re.findall(r"[a-z_]+\.[a-z_]+!?", shown)
    assert "purchases.request_refunds!" in ids and "tools.api_notifications!" in ids
    for word in ("purchases.request_refunds!", "eva@example.com", "fabi@example.com"):
        assert word in shown  # whole: never split across lines
    # a wrapped line goes on two spaces further in than the line it continues
    gains = next(i for i, line in enumerate(lines) if line.startswith("      eva@example.com"))
    assert lines[gains + 1].startswith("        ") and lines[gains + 1].strip()


def test_a_pipe_without_columns_keeps_whole_lines(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, exported(cli) + WRAPPED_FILE_TAIL)
    shown = ok(cli("--as", OWNER, "plan", "-f", path)).stdout
    (gains,) = [line for line in shown.splitlines() if line.startswith("      eva@example.com")]
    assert gains.startswith(
        "      eva@example.com gains on acceptance: others.manage_subscriptions"
    )
    assert gains.endswith("purchases.search_by_period, reports.purchase_recovery")  # one line
