"""Tables never hide data (docs/commands.md, "Output"): no cell is cut with an ellipsis;
on a pipe tables come out at their natural width, and an explicit COLUMNS makes long
cells wrap. Timestamps are whole UTC ISO 8601, and an accepted invitation no longer
shows an expiry (docs/json.md)."""

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


def cells_of_one_row(table: str) -> list[str]:
    """The cells of a one-row table, each put back together from its wrapped lines."""
    lines = table.splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("┡"))) + 1 : -1]
    columns: list[list[str]] = []
    for line in body:
        parts = [part.strip() for part in line.strip("│").split("│")]
        columns = columns or [[] for _ in parts]
        for column, part in zip(columns, parts, strict=True):
            column.append(part)
    return ["".join(column) for column in columns]


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


def test_explicit_columns_wraps_cells_and_never_cuts_them(
    cli: Cli, legal_account: str, narrow: None
) -> None:
    invite_long(cli)
    result = ok(cli(*as_owner("collaborator", "list")))
    assert "…" not in result.stdout
    assert all(len(line) <= 60 for line in result.stdout.splitlines()), result.stdout
    user, profile, status, invited, expires, until = cells_of_one_row(result.stdout)
    assert (user, profile, status, until) == (LONG, "soporte", "pending", "")
    assert ISO.fullmatch(invited) and ISO.fullmatch(expires), (invited, expires)


@pytest.mark.engines("sqlite")  # a server's rows also name their login
def test_explicit_columns_wraps_the_audit_log(cli: Cli, legal_account: str, narrow: None) -> None:
    invite_long(cli)
    result = ok(cli(*as_owner("audit", "log", "--limit", "1")))
    assert "…" not in result.stdout
    assert all(len(line) <= 60 for line in result.stdout.splitlines())
    _seq, at, actor, action, target = cells_of_one_row(result.stdout)
    assert (actor, action, target) == ("ana.souza@example.com", "invitation.create", LONG)
    assert ISO.fullmatch(at), at


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
