"""Time-boxed access: `invite --access-until` and `collaborator set-access-until`
through the CLI (docs/ownership.md, "Temporary access"), with a clock that only moves
when told (never sleeps). Every refusal leaves the store as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BEA,
    CAIO,
    OWNER,
    SOPORTE_HAS,
    ZED,
    Cli,
    FakeClock,
    ctx_for,
    exists,
    hidden,
    ok,
    refused,
)

from colabctl.core import users

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")


@pytest.fixture
def bea(cli: Cli, legal_account: str, db_path: Path, clock: FakeClock) -> str:
    """bea accepted soporte with access for 1 hour; zed is registered, nowhere."""
    ok(cli("invite", BEA, "--profile", "soporte", "--access-until", "1h"))
    ok(cli("--as", BEA, "accept", ACME))
    users.register(ctx_for(db_path, None, clock), ZED)
    return BEA


def row(cli: Cli, email: str, *flags: str) -> dict[str, Any]:
    rows = json.loads(ok(cli("collaborator", "list", "--json", *flags)).stdout)
    [found] = [r for r in rows if r["user"] == email]
    result: dict[str, Any] = found
    return result


def reason(cli: Cli, email: str, perm: str = SOPORTE_HAS) -> str:
    result = cli("can", email, perm, "-a", ACME, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return str(json.loads(result.stdout)["results"][0]["reason"])


# -- WHEN ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "stored"),
    [
        ("2027-03-31", "2027-03-31T23:59:59Z"),  # a date: the end of that day, UTC
        ("2027-03-31T18:30:00Z", "2027-03-31T18:30:00Z"),
        ("2027-03-31T18:30:00", "2027-03-31T18:30:00Z"),  # no zone: UTC
        ("2027-03-31T18:30:00-03:00", "2027-03-31T21:30:00Z"),
        ("30d", "2026-12-02T09:00:00Z"),  # from now (the clock starts at 2026-11-02T09:00Z)
        ("48h", "2026-11-04T09:00:00Z"),
        ("90s", "2026-11-02T09:01:30Z"),
    ],
)
def test_when_forms(cli: Cli, legal_account: str, when: str, stored: str) -> None:
    ok(cli("invite", CAIO, "--profile", "soporte", "--access-until", when))
    assert row(cli, CAIO)["access_until"] == stored


@pytest.mark.parametrize("when", ["2026-11-02T09:00:00Z", "2026-11-01", "2020-01-01T00:00:00Z"])
def test_when_at_or_before_now_is_refused(cli: Cli, bea: str, db_path: Path, when: str) -> None:
    refused(
        cli,
        db_path,
        6,
        "invite",
        CAIO,
        "--profile",
        "soporte",
        "--access-until",
        when,
        hint="collaborator remove",
    )
    refused(cli, db_path, 6, "collaborator", "set-access-until", BEA, when, hint="remove")


# 9999-12-31 at -10:00 is past the last moment UTC can hold
@pytest.mark.parametrize(
    "when", ["tomorrow", "2027-02-30", "0s", "3651d", "", "7w", "9999-12-31T23:00:00-10:00"]
)
def test_malformed_when(cli: Cli, bea: str, db_path: Path, when: str) -> None:
    refused(cli, db_path, 6, "collaborator", "set-access-until", BEA, when)
    refused(cli, db_path, 6, "invite", CAIO, "--profile", "soporte", "--access-until", when)


def test_a_malformed_when_creates_no_store(cli: Cli, db_path: Path) -> None:
    refused(cli, db_path, 6, "collaborator", "set-access-until", BEA, "whenever")
    assert not exists(db_path)


# -- access ends by itself, judged at every read ---------------------------------------------


def test_access_ends_with_the_clock(cli: Cli, bea: str, clock: FakeClock, db_path: Path) -> None:
    until = row(cli, BEA)["access_until"]
    assert until == "2026-11-02T10:00:00Z"
    clock.advance(minutes=59, seconds=59)
    assert row(cli, BEA)["status"] == "active" and reason(cli, BEA) == "profile:soporte"
    ok(cli("--as", BEA, "collaborator", "list", "-a", ACME))  # still reads
    clock.advance(seconds=1)
    # from that moment on she holds nothing, with nothing written
    assert row(cli, BEA)["status"] == "ended"
    assert reason(cli, BEA) == "access-ended"
    assert reason(cli, BEA, "account.bank") == "owner-only"
    assert row(cli, BEA, "--status", "ended")["user"] == BEA
    assert json.loads(ok(cli("who-can", SOPORTE_HAS, "--json")).stdout) == [
        {"user": OWNER, "account": ACME, "role": "owner", "reason": "owner"}
    ]
    grid = json.loads(ok(cli("matrix", "--json")).stdout)
    assert BEA not in grid["grants"]
    shown = json.loads(ok(cli("collaborator", "show", BEA, "--json")).stdout)
    assert (shown["status"], shown["permissions"], shown["access_until"]) == ("ended", [], until)
    assert "access ended on" in ok(cli("collaborator", "show", BEA)).stdout
    # she may ask about herself, and is told why; she reads the account no more
    mine = ok(cli("--as", BEA, "can", BEA, SOPORTE_HAS, "-a", ACME, "--explain"), 1).stdout
    assert f"access to {ACME} ended on {until}" in mine
    hidden(cli, db_path, ACME, "--as", BEA, "collaborator", "list", "-a", ACME)
    told = refused(cli, db_path, 5, "--as", BEA, "whoami", "--account", ACME, hint="extend")
    assert f"your access ended on {until}" in told.stderr
    refused(cli, db_path, 5, "--as", BEA, "use", ACME)
    assert json.loads(ok(cli("--as", BEA, "whoami", "--json")).stdout)["accounts"] == []


@pytest.mark.parametrize("when", ["never", "2027-01-31"])
def test_a_later_date_or_never_gives_access_back(
    cli: Cli, bea: str, clock: FakeClock, when: str
) -> None:
    clock.advance(hours=2)
    assert reason(cli, BEA) == "access-ended"
    ok(cli("collaborator", "set-access-until", BEA, when))
    assert reason(cli, BEA) == "profile:soporte"
    expected = None if when == "never" else "2027-01-31T23:59:59Z"
    assert (row(cli, BEA)["status"], row(cli, BEA)["access_until"]) == ("active", expected)


def test_setting_the_same_value_is_a_no_op(cli: Cli, bea: str, db_path: Path) -> None:
    ok(cli("collaborator", "set-access-until", BEA, "2027-01-31"))
    before = row(cli, BEA)
    result = ok(cli("collaborator", "set-access-until", BEA, "2027-01-31"))
    assert "nothing to do" in result.stderr and row(cli, BEA) == before


def test_inviting_someone_whose_access_ended(
    cli: Cli, bea: str, clock: FakeClock, db_path: Path
) -> None:
    clock.advance(hours=2)
    for profile in ("soporte", "tecnico"):
        refused(
            cli,
            db_path,
            4,
            "invite",
            BEA,
            "--profile",
            profile,
            hint=f"set-access-until {BEA} never",
        )
    # removing an ended collaborator revokes her for good; then she can be invited again
    ok(cli("collaborator", "remove", BEA))
    assert row(cli, BEA)["status"] == "revoked"
    ok(cli("invite", BEA, "--profile", "tecnico"))


def test_a_pending_invitation_whose_access_ends_cannot_be_accepted(
    cli: Cli, legal_account: str, clock: FakeClock, db_path: Path
) -> None:
    ok(cli("invite", CAIO, "--profile", "soporte", "--access-until", "1h"))
    assert row(cli, CAIO)["status"] == "pending"
    clock.advance(hours=2)
    refused(cli, db_path, 4, "--as", CAIO, "accept", ACME, hint="set-access-until")
    ok(cli("collaborator", "set-access-until", CAIO, "1d"))  # on a pending invitation
    ok(cli("--as", CAIO, "accept", ACME))
    assert reason(cli, CAIO) == "profile:soporte"


def test_reinviting_with_another_access_until(cli: Cli, bea: str, db_path: Path) -> None:
    refused(
        cli,
        db_path,
        4,
        "invite",
        BEA,
        "--profile",
        "soporte",
        "--access-until",
        "30d",
        hint="set-access-until",
    )
    same = ok(cli("invite", BEA, "--profile", "soporte"))  # no WHEN: the usual no-op
    assert "nothing to do" in same.stderr


def test_who_may_set_it(cli: Cli, bea: str, db_path: Path) -> None:
    ok(cli("invite", CAIO, "--profile", "tecnico"))
    ok(cli("--as", CAIO, "accept", ACME))
    refused(cli, db_path, 5, "--as", CAIO, "collaborator", "set-access-until", BEA, "never")
    hidden(
        cli,
        db_path,
        ACME,
        "--as",
        ZED,
        "collaborator",
        "set-access-until",
        BEA,
        "never",
        "-a",
        ACME,
    )
    refused(cli, db_path, 3, "collaborator", "set-access-until", ZED, "never")  # not one
    refused(cli, db_path, 4, "collaborator", "set-access-until", OWNER, "never")  # the owner
    ok(cli("collaborator", "remove", CAIO))
    refused(cli, db_path, 4, "collaborator", "set-access-until", CAIO, "30d", hint="invite")


# -- where it shows ------------------------------------------------------------------------------


def test_list_column_blank_when_none(cli: Cli, bea: str) -> None:
    ok(cli("invite", CAIO, "--profile", "tecnico"))
    assert row(cli, CAIO)["access_until"] is None
    table = ok(cli("collaborator", "list")).stdout
    assert "access until" in table
    [bea_line] = [line for line in table.splitlines() if BEA in line]
    [caio_line] = [line for line in table.splitlines() if CAIO in line]
    assert "2026-11-02T10:00:00Z" in bea_line and "T10:00:00Z" not in caio_line.split("│")[-2]


def test_whoami_shows_until(cli: Cli, bea: str) -> None:
    data = json.loads(ok(cli("--as", BEA, "whoami", "--json")).stdout)
    assert data["accounts"][0]["access_until"] == "2026-11-02T10:00:00Z"
    assert "until 2026-11-02T10:00:00Z" in ok(cli("--as", BEA, "whoami")).stdout
    mine = json.loads(ok(cli("whoami", "--json")).stdout)
    assert mine["accounts"][0]["access_until"] is None  # the owner's access never ends


def test_audit_rows(cli: Cli, bea: str, db_path: Path) -> None:
    ok(cli("collaborator", "set-access-until", BEA, "never"))
    log = json.loads(ok(cli("audit", "log", "--json", "--limit", "3")).stdout)
    assert log[0]["action"] == "collaborator.set_access_until"
    assert log[0]["details"]["from"] == "2026-11-02T10:00:00Z"
    assert log[0]["details"]["to"] is None
    created = [e for e in log if e["action"] == "invitation.create"]
    assert created[0]["details"]["access_until"] == "2026-11-02T10:00:00Z"
