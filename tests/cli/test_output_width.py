"""Tables never hide data (docs/commands.md, "Output"): no cell is cut with an ellipsis;
on a pipe tables come out at their natural width, and an explicit COLUMNS narrows them,
stacked where the ids cannot fit (tests/cli/test_tables.py tries every table).
Timestamps are whole UTC ISO 8601, and an accepted invitation no longer shows an
expiry (docs/json.md)."""

from __future__ import annotations

import json
import re

import pytest
from support import BRUNO, Cli, FakeClock, as_owner, ok

from colabctl.cli import output

# 64 characters before the @, the most an address may have there
LONG = "a-very-long-local-part-that-no-eighty-column-table-could-hold-xyz@example.com"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdout is not a terminal (CliRunner never is) and nobody set COLUMNS."""
    monkeypatch.delenv("COLUMNS", raising=False)
    output.console.cache_clear()


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    output.console.cache_clear()


def invite_long(cli: Cli) -> None:
    ok(cli(*as_owner("invite", LONG, "--profile", "soporte")))


def stacked_block(text: str) -> dict[str, str]:
    """The `key: value` lines of a one-row stacked table (its title aside)."""
    pairs = [line.split(":", 1) for line in text.splitlines()[1:] if ":" in line]
    return {key.strip(): value.strip() for key, value in pairs}


def test_piped_audit_log_shows_whole_actions_emails_and_times(
    cli: Cli, legal_account: str, piped: None
) -> None:
    invite_long(cli)
    result = ok(cli(*as_owner("audit", "log")))
    assert "…" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if LONG in line)
    assert "invitation.create" in row
    assert "ana.souza@example.com" in row
    assert ISO.search(row), row


def test_piped_table_is_wider_than_any_terminal_default(
    cli: Cli, legal_account: str, piped: None
) -> None:
    invite_long(cli)
    result = ok(cli(*as_owner("collaborator", "list")))
    widest = max(len(line) for line in result.stdout.splitlines())
    assert widest > 120, result.stdout  # natural width, not rich's 80-column default
    assert "…" not in result.stdout


def test_explicit_columns_never_split_an_email_or_a_time(
    cli: Cli, legal_account: str, narrow: None
) -> None:
    """At 60 columns a 77-character address cannot sit beside the times: the table is
    stacked, and every value is whole on its line (docs/commands.md, "Output")."""
    invite_long(cli)
    result = ok(cli(*as_owner("collaborator", "list")))
    assert "…" not in result.stdout
    assert all(len(line) <= 60 or LONG in line for line in result.stdout.splitlines())
    block = stacked_block(result.stdout)
    assert (block["user"], block["profile"], block["status"]) == (LONG, "soporte", "pending")
    assert ISO.fullmatch(block["invited"]) and ISO.fullmatch(block["expires"]), block


@pytest.mark.engines("sqlite")  # a server's rows also name their login
def test_explicit_columns_stack_the_audit_log(cli: Cli, legal_account: str, narrow: None) -> None:
    invite_long(cli)
    result = ok(cli(*as_owner("audit", "log", "--limit", "1")))
    assert "…" not in result.stdout
    assert all(len(line) <= 60 or LONG in line for line in result.stdout.splitlines())
    block = stacked_block(result.stdout)
    assert (block["actor"], block["action"]) == ("ana.souza@example.com", "invitation.create")
    assert block["change"].startswith(LONG), block  # the change column names the address
    assert ISO.fullmatch(block["at"]), block


def test_piped_matrix_names_people_in_full(cli: Cli, legal_account: str, piped: None) -> None:
    invite_long(cli)
    ok(cli("--as", LONG, "login", LONG))
    ok(cli("--as", LONG, "accept", "acme-cursos"))
    result = ok(cli(*as_owner("matrix")))
    header = next(line for line in result.stdout.splitlines() if "ana.souza@" in line)
    assert LONG in header  # no numbered columns and legend on a pipe
    assert "…" not in result.stdout


def members(cli: Cli) -> dict[str, dict[str, object]]:
    found = json.loads(ok(cli(*as_owner("collaborator", "list", "--json"))).stdout)
    return {m["user"]: m for m in found}


def test_expires_at_is_null_once_the_invitation_is_accepted(
    cli: Cli, legal_account: str, clock: FakeClock
) -> None:
    ok(cli(*as_owner("invite", BRUNO, "--profile", "soporte")))
    ok(cli(*as_owner("invite", LONG, "--profile", "tecnico")))
    assert ISO.fullmatch(str(members(cli)[BRUNO]["expires_at"]))
    ok(cli("--as", BRUNO, "login", BRUNO))
    ok(cli("--as", BRUNO, "accept", "acme-cursos"))
    listed = members(cli)
    assert listed[BRUNO]["expires_at"] is None
    assert ISO.fullmatch(str(listed[LONG]["expires_at"]))  # still pending: it expires
    shown = json.loads(ok(cli(*as_owner("collaborator", "show", BRUNO, "--json"))).stdout)
    assert shown["expires_at"] is None
    assert [h["expires_at"] for h in shown["history"]] == [None]
    # removed after accepting: it was still an accepted invitation, with no expiry
    ok(cli(*as_owner("collaborator", "remove", BRUNO)))
    assert members(cli)[BRUNO]["expires_at"] is None


def test_expires_column_is_blank_once_accepted(cli: Cli, legal_account: str, piped: None) -> None:
    ok(cli(*as_owner("invite", BRUNO, "--profile", "soporte")))
    ok(cli("--as", BRUNO, "login", BRUNO))
    ok(cli("--as", BRUNO, "accept", "acme-cursos"))
    table = ok(cli(*as_owner("collaborator", "list"))).stdout
    row = next(line for line in table.splitlines() if BRUNO in line)
    assert len(ISO.findall(row)) == 1, row  # invited, and no expiry
    shown = ok(cli(*as_owner("collaborator", "show", BRUNO))).stdout
    history = next(line for line in shown.splitlines() if line.startswith("│ soporte"))
    assert len(ISO.findall(history)) == 2, history  # invited and responded; no expiry


def test_a_declined_invitation_keeps_the_expiry_it_had(cli: Cli, legal_account: str) -> None:
    ok(cli(*as_owner("invite", BRUNO, "--profile", "soporte")))
    ok(cli("--as", BRUNO, "login", BRUNO))
    ok(cli("--as", BRUNO, "decline", "acme-cursos"))
    assert ISO.fullmatch(str(members(cli)[BRUNO]["expires_at"]))
