"""A plan carries its review (docs/team-file.md, "The plan's review"): the findings a team
file would open and close, judged on the planned state by review's own engine; the
`plan --fail-on` gate; findings of pending invitees "on acceptance", under the id
`review` gives them once accepted; acks that hold while their subject is unchanged;
and the warnings of `profile create` and `profile edit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import OWNER, Cli, dump, ok, refused
from support import exported
from test_plan_apply import plan_json, write

from colabctl.cli import team as cli_team
from colabctl.core.review import finding_id
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
BEA = "bea@example.com"
DORA = "dora@example.com"
REFUND_PAIR = ("withdrawal.withdraw", "purchases.request_refunds")


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """acme-cursos (soporte, tecnico): bea active in soporte, dora pending in soporte."""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte", "-a", ACME))
    return legal_account


def with_withdraw(text: str) -> str:
    """The file with withdrawal.withdraw added to soporte: the pull request."""
    lines = text.splitlines(keepends=True)
    at = lines.index(f"[accounts.{ACME}.profiles.soporte]\n")
    perms = next(i for i in range(at, len(lines)) if lines[i].startswith("permissions = ["))
    lines[perms] = lines[perms].rstrip().removesuffix("]") + ', "withdrawal.withdraw"]\n'
    return "".join(lines)


def new_findings(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(f["kind"], f["subject"], f["on_acceptance"]) for f in data["findings"]["new"]]


def review(cli: Cli) -> dict[str, dict[str, Any]]:
    found = json.loads(ok(cli("--as", OWNER, "review", "-a", ACME, "--json")).stdout)
    return {f["id"]: f for f in found["findings"]}


def test_withdraw_to_soporte_fails_at_plan_with_the_ids_review_gives_later(
    cli: Cli, team: str, tmp_path: Path, db_path: Target
) -> None:
    path = write(tmp_path, with_withdraw(exported(cli)))
    data = plan_json(cli, path)
    sod = [f for f in data["findings"]["new"] if f["kind"] == "sod-conflict"]
    assert [(f["subject"], f["on_acceptance"], f["severity"]) for f in sod] == [
        (BEA, False, "high"),
        (DORA, True, "high"),
    ]
    for f in sod:  # review's finding shape, and its stable ids
        assert set(f) >= {"id", "severity", "kind", "account", "subject", "message", "status"}
        assert f["id"] == finding_id("sod-conflict", ACME, f["subject"], REFUND_PAIR)
        assert f["status"] == "open" and f["account"] == ACME
    assert "on acceptance" in sod[1]["message"] and "on acceptance" not in sod[0]["message"]
    assert data["findings"]["resolved"] == []

    before = dump(db_path)
    gate = cli("--as", OWNER, "plan", "-f", path, "--fail-on", "high")
    assert gate.exit_code == 1, gate.stderr
    assert "new high sod-conflict" in gate.stdout and "on acceptance" in gate.stdout
    assert "2 findings at high or above" in gate.stderr
    assert cli("--as", OWNER, "plan", "-f", path, "--fail-on", "medium").exit_code == 1
    ok(cli("--as", OWNER, "plan", "-f", path))  # plain plan: its own exit codes
    assert dump(db_path) == before

    ok(cli("--as", OWNER, "apply", "-f", path, "--yes"))
    live = review(cli)
    assert live[sod[0]["id"]]["subject"] == BEA
    assert sod[1]["id"] not in live  # dora has not accepted: she holds nothing yet
    ok(cli("--as", DORA, "accept", ACME))
    accepted = review(cli)[sod[1]["id"]]
    assert accepted["subject"] == DORA and accepted["on_acceptance"] is False
    # once applied, the same file opens nothing new: the gate passes
    ok(cli("--as", OWNER, "plan", "-f", path, "--fail-on", "high"))


def test_the_fix_passes_and_open_findings_do_not_fail_the_gate(
    cli: Cli, team: str, tmp_path: Path
) -> None:
    ok(cli("--as", OWNER, "profile", "edit", "soporte", "--add", "withdrawal.withdraw"))
    assert any(f["kind"] == "sod-conflict" for f in review(cli).values())  # open now
    now = exported(cli)
    ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, now), "--fail-on", "low"))  # no changes
    renamed = now.replace('name = "Acme Cursos"', 'name = "Acme Renomeada"')
    assert renamed != now
    data = plan_json(cli, write(tmp_path, renamed, "renamed.toml"), "--fail-on", "high")
    assert data["findings"] == {"new": [], "resolved": []}  # still open: not new
    # the fix resolves them
    fixed = now.replace(', "withdrawal.withdraw"]', "]")
    assert fixed != now
    data = plan_json(cli, write(tmp_path, fixed, "fixed.toml"), "--fail-on", "high")
    resolved = {(f["kind"], f["subject"]) for f in data["findings"]["resolved"]}
    assert {("sod-conflict", BEA), ("sod-conflict", DORA)} <= resolved
    assert data["findings"]["new"] == []
    text = ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, fixed, "fixed.toml"))).stdout
    assert "resolved high sod-conflict" in text


def test_an_ack_holds_until_the_plan_changes_its_subject(
    cli: Cli, team: str, tmp_path: Path
) -> None:
    ok(cli("--as", OWNER, "profile", "edit", "soporte", "--add", "withdrawal.withdraw"))
    bea = finding_id("sod-conflict", ACME, BEA, REFUND_PAIR)
    ok(cli("--as", OWNER, "review", "ack", bea, "--reason", "the board approved it"))
    now = exported(cli)
    other = now + '"eva@example.com" = "tecnico"\n'
    ok(cli("--as", OWNER, "plan", "-f", write(tmp_path, other), "--fail-on", "high"))
    # soporte changes: bea's subject changes, the ack no longer holds, the finding is new
    changed = now.replace('"products.view", ', '"products.view", "reports.commissions", ')
    assert changed != now
    result = cli(
        "--as", OWNER, "plan", "-f", write(tmp_path, changed), "--json", "--fail-on", "high"
    )
    assert result.exit_code == 1, result.stderr
    (reopened,) = [f for f in json.loads(result.stdout)["findings"]["new"] if f["id"] == bea]
    assert reopened["reopened"]["reason"] == "the board approved it"


def test_the_ack_of_an_invitee_covers_them_once_accepted(
    cli: Cli, team: str, tmp_path: Path
) -> None:
    """Acceptance is not a change of subject: the fingerprint a plan gives a pending
    invitee's finding is the one review gives it once they accept."""
    path = write(tmp_path, with_withdraw(exported(cli)))
    dora = next(f for f in plan_json(cli, path)["findings"]["new"] if f["subject"] == DORA)
    ok(cli("--as", OWNER, "apply", "-f", path, "--yes"))
    ok(cli("--as", DORA, "accept", ACME))
    ok(cli("--as", OWNER, "review", "ack", dora["id"], "--reason", "dual control in place"))
    assert review(cli)[dora["id"]]["status"] == "acknowledged"


def test_a_new_invitee_of_a_risky_profile_is_new_on_acceptance(
    cli: Cli, team: str, tmp_path: Path
) -> None:
    invited = exported(cli) + '"eva@example.com" = "soporte"\n'
    data = plan_json(cli, write(tmp_path, invited), "--fail-on", "high")  # medium only
    assert new_findings(data) == [("high-risk-holder", "eva@example.com", True)]
    result = cli("--as", OWNER, "plan", "-f", write(tmp_path, invited), "--fail-on", "medium")
    assert result.exit_code == 1


def test_rules_file_and_usage(cli: Cli, team: str, tmp_path: Path, db_path: Target) -> None:
    rules = tmp_path / "sod.toml"
    rules.write_text(
        '[[sod]]\nname = "look-and-search"\npermissions = ["products.view", "purchases.search"]\n'
        'severity = "low"\n',
        encoding="utf-8",
    )
    text = (
        exported(cli)
        + '"eva@example.com" = "basico"\n'
        + f"[accounts.{ACME}.profiles.basico]\n"
        + 'permissions = ["products.view", "purchases.search"]\n'
    )
    path = write(tmp_path, text)
    assert not [f for f in plan_json(cli, path)["findings"]["new"] if f["kind"] == "sod-conflict"]
    data = plan_json(cli, path, "--rules", str(rules), "--fail-on", "medium")
    assert new_findings(data) == [("sod-conflict", "eva@example.com", True)]
    assert (
        cli("--as", OWNER, "plan", "-f", path, "--rules", str(rules), "--fail-on", "low").exit_code
        == 1
    )
    usage = cli("--as", OWNER, "plan", "-f", path, "--fail-on", "high", "--detailed-exitcode")
    assert usage.exit_code == 2 and usage.stdout == ""
    rules.write_text('[[sod]]\nname = "x"\npermissions = ["account.bank", "products.view"]\n')
    refused(cli, db_path, 6, "--as", OWNER, "plan", "-f", path, "--rules", str(rules))


def test_apply_asks_with_the_findings_in_view(
    cli: Cli, team: str, tmp_path: Path, db_path: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_team, "_interactive", lambda: True)
    path = write(tmp_path, with_withdraw(exported(cli)))
    saved = str(tmp_path / "plan.json")
    ok(cli("--as", OWNER, "plan", "-f", path, "-o", saved))
    before = dump(db_path)
    for args in (("-f", path), (saved,)):
        result = cli("--as", OWNER, "apply", *args, input="n\n")
        assert result.exit_code == 0 and "nothing was changed" in result.stderr
        assert "new high sod-conflict" in result.stdout, result.stdout
        assert f"+withdrawal.withdraw! for 2 people: {BEA}, {DORA} (on acceptance)" in result.stdout
    assert dump(db_path) == before


def test_profile_create_and_edit_warn_of_a_forbidden_pair(cli: Cli, legal_account: str) -> None:
    result = ok(cli("profile", "create", "caixa", "--preset", "tecnico", "--perm", "Retirar"))
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3  # withdraw with each of tecnico's three checkout/API tools
    assert all("profile caixa holds both withdrawal.withdraw and" in w for w in warnings)
    assert result.stdout == ""
    result = ok(cli("profile", "edit", "soporte", "--add", "withdrawal.withdraw"))
    assert "warning: profile soporte holds both withdrawal.withdraw and" in result.stderr
    assert "purchases.request_refunds" in result.stderr
    result = ok(cli("profile", "edit", "soporte", "--remove", "withdrawal.withdraw"))
    assert "warning" not in result.stderr
    assert "warning" not in ok(cli("profile", "create", "plain", "--preset", "soporte")).stderr
