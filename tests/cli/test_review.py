"""`colabctl review` and `review ack` (docs/review.md): each finding kind found, and not
found when absent; stable ids; rules files; acknowledgement, suppression, reopening;
owner only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import OWNER, Cli, FakeClock, dump, hidden, ok, refused
from support import db_refuses

from colabctl.core.catalog import catalog
from colabctl.core.presets import list_presets
from colabctl.core.review import finding_id
from colabctl.core.sod import load_rules

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
BRUNO = "bruno.costa@example.com"
CARLA = "carla.mendes@example.com"
OUTSIDER = "fabio.lima@example.com"
LOW_RISK = ["products.view", "purchases.search"]


def findings(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = ok(cli("review", "-a", ACME, "--json", *args))
    found: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return found


def kinds(cli: Cli, *args: str) -> list[tuple[str, str]]:
    return [(f["kind"], f["subject"]) for f in findings(cli, *args)]


def active(cli: Cli, email: str, profile: str) -> None:
    ok(cli("--as", OWNER, "invite", email, "--profile", profile, "-a", ACME))
    ok(cli("--as", email, "accept", ACME))


@pytest.fixture
def quiet(cli: Cli, legal_account: str) -> str:
    """acme-cursos with one profile of low-risk permissions held by bruno: no findings."""
    ok(cli("profile", "delete", "soporte", "-a", ACME))
    ok(cli("profile", "delete", "tecnico", "-a", ACME))
    ok(cli("profile", "create", "basico", *[f"--perm={p}" for p in LOW_RISK], "-a", ACME))
    active(cli, BRUNO, "basico")
    return ACME


def test_a_quiet_account_has_no_findings(cli: Cli, quiet: str) -> None:
    assert findings(cli) == []
    result = ok(cli("review", "-a", ACME, "--fail-on", "low"))
    assert result.stdout == "" and "no findings" in result.stderr


def test_sod_conflict(cli: Cli, quiet: str) -> None:
    ok(cli("profile", "create", "caixa", "--perm", "withdrawal.withdraw", "--perm",
           "purchases.request_refunds", "-a", ACME))  # fmt: skip
    assert ("sod-conflict", CARLA) not in kinds(cli)  # nobody holds it yet
    active(cli, CARLA, "caixa")
    found = [f for f in findings(cli) if f["kind"] == "sod-conflict"]
    assert len(found) == 1
    assert found[0]["severity"] == "high" and found[0]["subject"] == CARLA
    assert "withdrawal.withdraw" in found[0]["message"]
    assert "purchases.request_refunds" in found[0]["message"]
    assert found[0]["id"] == finding_id(
        "sod-conflict", ACME, CARLA, ("withdrawal.withdraw", "purchases.request_refunds")
    )
    ok(cli("review", "-a", ACME, "--fail-on", "high"), 1)
    # the owner holds every pair by definition: never a finding
    assert all(f["subject"] != OWNER for f in findings(cli))


def test_high_risk_holder_one_finding_per_person(cli: Cli, quiet: str) -> None:
    ok(cli("profile", "edit", "basico", "--add", "purchases.request_refunds", "--add",
           "tools.api_notifications", "-a", ACME))  # fmt: skip
    found = [f for f in findings(cli) if f["kind"] == "high-risk-holder"]
    assert [(f["subject"], f["severity"]) for f in found] == [(BRUNO, "medium")]
    assert "purchases.request_refunds, tools.api_notifications" in found[0]["message"]
    ok(cli("review", "-a", ACME, "--fail-on", "medium"), 1)
    ok(cli("review", "-a", ACME, "--fail-on", "high"))


def test_broad_profile(cli: Cli, quiet: str) -> None:
    delegable = [p.id for p in catalog().delegable]  # 37: more than 75% is 28 or more
    perms = [f"--perm={p}" for p in delegable[:27]]
    ok(cli("profile", "create", "amplo", *perms, "-a", ACME))
    active(cli, CARLA, "amplo")
    assert ("broad-profile", "profile:amplo") not in kinds(cli)
    ok(cli("profile", "edit", "amplo", "--add", delegable[27], "-a", ACME))
    found = [f for f in findings(cli) if f["kind"] == "broad-profile"]
    assert [(f["subject"], f["severity"]) for f in found] == [("profile:amplo", "medium")]


def test_stale_invitation(cli: Cli, quiet: str, clock: FakeClock) -> None:
    ok(cli("invite", CARLA, "--profile", "basico", "--expires-in", "30d", "-a", ACME))
    clock.advance(days=14)
    assert ("stale-invitation", CARLA) not in kinds(cli)
    clock.advance(seconds=1)
    found = [f for f in findings(cli) if f["kind"] == "stale-invitation"]
    assert [(f["subject"], f["severity"]) for f in found] == [(CARLA, "low")]
    ok(cli("--as", CARLA, "accept", ACME))
    assert ("stale-invitation", CARLA) not in kinds(cli)


def test_expired_invitation_until_renewed(cli: Cli, quiet: str, clock: FakeClock) -> None:
    ok(cli("invite", CARLA, "--profile", "basico", "-a", ACME))
    assert ("expired-invitation", CARLA) not in kinds(cli)
    clock.advance(days=8)
    assert ("expired-invitation", CARLA) in kinds(cli)  # judged at read, like `can`
    ok(cli("invitation", "renew", CARLA, "-a", ACME))
    assert ("expired-invitation", CARLA) not in kinds(cli)


def test_unused_profile(cli: Cli, quiet: str) -> None:
    ok(cli("profile", "create", "vazio", "--perm", "products.view", "-a", ACME))
    assert ("unused-profile", "profile:vazio") in kinds(cli)
    ok(cli("invite", CARLA, "--profile", "vazio", "-a", ACME))  # pending counts as use
    assert ("unused-profile", "profile:vazio") not in kinds(cli)
    ok(cli("collaborator", "remove", CARLA, "-a", ACME))
    assert ("unused-profile", "profile:vazio") in kinds(cli)


def test_ids_are_stable_distinct_and_severity_ordered(cli: Cli, legal_account: str) -> None:
    ok(cli("profile", "create", "caixa", "--perm", "withdrawal.withdraw", "--perm",
           "tools.custom_checkout", "--perm", "tools.checkout_settings", "-a", ACME))  # fmt: skip
    active(cli, CARLA, "caixa")
    first, again = findings(cli), findings(cli)
    assert first == again
    ids = [f["id"] for f in first]
    assert len(set(ids)) == len(ids)
    order = ["high", "medium", "low"]
    assert [order.index(f["severity"]) for f in first] == sorted(
        order.index(f["severity"]) for f in first
    )
    assert len([f for f in first if f["kind"] == "sod-conflict"]) == 2  # two pairs held
    assert {f["kind"] for f in first} >= {"sod-conflict", "high-risk-holder", "unused-profile"}


def test_table_grouped_by_severity(cli: Cli, legal_account: str) -> None:
    active(cli, BRUNO, "soporte")
    result = ok(cli("review", "-a", ACME))
    out = result.stdout
    assert out.index("medium (1)") < out.index("low (1)")
    assert "unused-profile" in out and "high-risk-holder" in out
    assert out.splitlines()[-1] == "2 open (1 medium, 1 low), 0 acknowledged"


def test_shipped_rules_are_data_and_no_preset_holds_a_pair() -> None:
    rules = load_rules()
    assert [r.permissions for r in rules] == [
        ("withdrawal.withdraw", "purchases.request_refunds"),
        ("withdrawal.withdraw", "tools.checkout_settings"),
        ("withdrawal.withdraw", "tools.custom_checkout"),
        ("withdrawal.withdraw", "tools.api_notifications"),
    ]
    for preset in list_presets():
        for rule in rules:
            assert not set(rule.permissions) <= set(preset.permissions), (preset.name, rule)


def test_rules_file_replaces_the_shipped_pairs(cli: Cli, quiet: str, tmp_path: Path) -> None:
    rules = tmp_path / "sod.toml"
    rules.write_text(
        '[[sod]]\nname = "look-and-search"\npermissions = ["Ver Productos", "purchases.search"]\n'
        'severity = "low"\n',
        encoding="utf-8",
    )
    found = [f for f in findings(cli, "--rules", str(rules)) if f["kind"] == "sod-conflict"]
    assert [(f["subject"], f["severity"]) for f in found] == [(BRUNO, "low")]
    assert [f for f in findings(cli) if f["kind"] == "sod-conflict"] == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[sod]]\nname = "x"\npermissions = ["products.view"]\n', 1, "pair"),
        ('\n[[sod]]\nname = "x"\npermissions = ["products.view", "account.bank"]\n', 2, "owner"),
        ('[[sod]]\nname = "x"\npermissions = ["products.view", "nope"]\n', 1, "unknown"),
        (
            '[[sod]]\nname = "x"\npermissions = ["products.view", "purchases.search"]\n'
            'severity = "urgent"\n',
            1,
            "severity",
        ),
        ('[[sod]]\nname = "x"\npermissions = ["a" "b"]\n', 3, "TOML"),
    ],
)
def test_malformed_rules_exit_6_naming_file_and_line(
    cli: Cli, quiet: str, tmp_path: Path, db_path: Path, text: str, line: int, words: str
) -> None:
    rules = tmp_path / "sod.toml"
    rules.write_text(text, encoding="utf-8")
    for args in (("review", "-a", ACME), ("review", "ack", "0" * 12, "--reason", "x")):
        result = refused(cli, db_path, 6, *args, "--rules", str(rules))
        error = result.stderr.splitlines()[0]
        assert str(rules) in error and f"line {line}" in error and words in error, error


def test_ack_suppresses_until_the_subject_changes(cli: Cli, quiet: str, db_path: Path) -> None:
    ok(cli("profile", "create", "caixa", "--perm", "withdrawal.withdraw", "--perm",
           "purchases.request_refunds", "-a", ACME))  # fmt: skip
    active(cli, CARLA, "caixa")
    conflict = next(f for f in findings(cli) if f["kind"] == "sod-conflict")
    ok(cli("review", "-a", ACME, "--fail-on", "high"), 1)

    result = ok(cli("review", "ack", conflict["id"], "--reason", "the board approved it"))
    assert conflict["id"] in result.stderr
    acked = next(f for f in findings(cli) if f["id"] == conflict["id"])
    assert acked["status"] == "acknowledged"
    assert acked["ack"]["by"] == OWNER and acked["ack"]["reason"] == "the board approved it"
    ok(cli("review", "-a", ACME, "--fail-on", "high"))  # no longer fails the run
    assert "acknowledged by" in ok(cli("review", "-a", ACME)).stdout

    log = json.loads(ok(cli("audit", "log", "-a", ACME, "--json", "--limit", "1")).stdout)
    assert log[0]["action"] == "review.ack" and log[0]["target"] == CARLA
    assert log[0]["details"]["finding"] == conflict["id"]
    assert log[0]["details"]["reason"] == "the board approved it"

    # acknowledging it again changes nothing
    before = dump(db_path)
    assert (
        "already acknowledged" in ok(cli("review", "ack", conflict["id"], "--reason", "y")).stderr
    )
    assert dump(db_path) == before

    # the profile's permissions change: open again, same id
    ok(cli("profile", "edit", "caixa", "--add", "products.view", "-a", ACME))
    reopened = next(f for f in findings(cli) if f["id"] == conflict["id"])
    assert reopened["status"] == "open" and reopened["ack"] is None
    assert reopened["reopened"]["reason"] == "the board approved it"
    ok(cli("review", "-a", ACME, "--fail-on", "high"), 1)

    # acknowledged again, then the person's profile changes: open again
    ok(cli("review", "ack", conflict["id"], "--reason", "still approved", "-a", ACME))
    ok(cli("review", "-a", ACME, "--fail-on", "high"))
    ok(cli("profile", "create", "caixa2", "--perm", "withdrawal.withdraw", "--perm",
           "purchases.request_refunds", "-a", ACME))  # fmt: skip
    ok(cli("collaborator", "set-profile", CARLA, "caixa2", "-a", ACME))
    again = next(f for f in findings(cli) if f["id"] == conflict["id"])
    assert again["status"] == "open"


def test_ack_rows_are_history(cli: Cli, quiet: str, db_path: Path) -> None:
    ok(cli("profile", "create", "vazio", "--perm", "products.view", "-a", ACME))
    unused = next(f for f in findings(cli) if f["kind"] == "unused-profile")
    ok(cli("review", "ack", unused["id"], "--reason", "kept for the launch"))
    db_refuses(db_path, "UPDATE review_acks SET reason = 'x'", match="history")
    db_refuses(db_path, "DELETE FROM review_acks", match="history")


def test_ack_unknown_finding_exits_3_and_changes_nothing(
    cli: Cli, quiet: str, db_path: Path
) -> None:
    refused(cli, db_path, 3, "review", "ack", "0123456789ab", "--reason", "x", hint="review")
    refused(cli, db_path, 3, "review", "ack", "0123456789ab", "--reason", "x", "-a", ACME)
    refused(cli, db_path, 6, "review", "ack", "0123456789ab", "--reason", "  ")


def test_owner_only(cli: Cli, quiet: str, db_path: Path) -> None:
    ok(cli("profile", "create", "vazio", "--perm", "products.view", "-a", ACME))
    unused = next(f for f in findings(cli) if f["kind"] == "unused-profile")
    # an active collaborator knows the account: 5; anyone else: the missing account's 3
    refused(cli, db_path, 5, "--as", BRUNO, "review", "-a", ACME)
    refused(
        cli, db_path, 5, "--as", BRUNO, "review", "ack", unused["id"], "--reason", "x", "-a", ACME
    )
    ok(cli("login", OUTSIDER))
    hidden(cli, db_path, ACME, "--as", OUTSIDER, "review", "-a", ACME)
    hidden(cli, db_path, ACME, "--as", OUTSIDER, "review", "ack", unused["id"], "--reason", "x",
           "-a", ACME)  # fmt: skip
    # without -a, ack looks only in the accounts the actor owns
    refused(cli, db_path, 3, "--as", OUTSIDER, "review", "ack", unused["id"], "--reason", "x")
    # a stranger gets the missing account's answer too, never "not a registered user"
    hidden(cli, db_path, ACME, "--as", "nobody@example.com", "review", "-a", ACME)


def test_all_accounts_covers_the_accounts_the_actor_owns(cli: Cli, quiet: str) -> None:
    ok(cli("login", OUTSIDER))
    ok(cli("--as", OUTSIDER, "account", "create", "beta-digital", "--name", "Beta",
           "--tax-id", "11.222.333/0001-81", "--country", "BR"))  # fmt: skip
    ok(cli("--as", OUTSIDER, "profile", "create", "solo", "--perm", "products.view",
           "-a", "beta-digital"))  # fmt: skip
    ok(cli("--as", OUTSIDER, "invite", BRUNO, "--profile", "solo", "-a", "beta-digital"))
    ok(cli("--as", BRUNO, "accept", "beta-digital"))
    ok(cli("--as", OWNER, "profile", "create", "vazio", "--perm", "products.view", "-a", ACME))
    mine = json.loads(ok(cli("--as", OWNER, "review", "--all-accounts", "--json")).stdout)
    assert {f["account"] for f in mine["findings"]} == {ACME}
    # bruno collaborates on both and owns none: nothing to review
    theirs = json.loads(ok(cli("--as", BRUNO, "review", "--all-accounts", "--json")).stdout)
    assert theirs == {"findings": []}
    usage = cli("review", "-a", ACME, "--all-accounts")
    assert usage.exit_code == 2


def test_access_ending(cli: Cli, quiet: str, clock: FakeClock) -> None:
    ok(cli("collaborator", "set-access-until", BRUNO, "8d", "-a", ACME))
    assert ("access-ending", BRUNO) not in kinds(cli)  # 8 days away: not yet
    clock.advance(days=1, seconds=1)
    found = [f for f in findings(cli) if f["kind"] == "access-ending"]
    assert [(f["subject"], f["severity"]) for f in found] == [(BRUNO, "low")]
    ok(cli("review", "ack", found[0]["id"], "--reason", "launch ends then"))
    assert next(f for f in findings(cli) if f["kind"] == "access-ending")["status"] == (
        "acknowledged"
    )
    # a new date is a new state: open again
    ok(cli("collaborator", "set-access-until", BRUNO, "3d", "-a", ACME))
    assert next(f for f in findings(cli) if f["kind"] == "access-ending")["status"] == "open"
    clock.advance(days=3)  # ended: no longer "ending"; bruno holds nothing now
    assert ("access-ending", BRUNO) not in kinds(cli)
    ok(cli("collaborator", "set-access-until", BRUNO, "never", "-a", ACME))
    assert ("access-ending", BRUNO) not in kinds(cli)
