"""The collaborator lifecycle through the CLI (cli/collaborators.py): invite, accept,
decline, expire, renew, remove, re-invite, set-profile; profiles as roles; the owner's
rules. docs/commands.md, docs/exit-codes.md, docs/json.md."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BEA,
    CAIO,
    DORA,
    ELI,
    FABI,
    NOBODY,
    OTHER_CNPJ,
    OWNER,
    SOPORTE_HAS,
    TECNICO_HAS,
    ZED,
    Cli,
    FakeClock,
    ctx_for,
    dump,
    hidden,
    ok,
    preset_ids,
    refused,
)
from typer.testing import Result

from colabctl.core import users

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

# -- helpers ----------------------------------------------------------------------


def register(db_path: Path, clock: FakeClock, *emails: str) -> None:
    for email in emails:
        users.register(ctx_for(db_path, None, clock), email)


def members(cli: Cli, *extra: str, account: str = ACME) -> list[dict[str, Any]]:
    result = ok(cli("--as", OWNER, "collaborator", "list", "-a", account, "--json", *extra))
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def rows_of(cli: Cli, email: str) -> list[dict[str, Any]]:
    return [m for m in members(cli) if m["user"].lower() == email.lower()]


def status_of(cli: Cli, email: str) -> str:
    status: str = rows_of(cli, email)[-1]["status"]
    return status


def invite(cli: Cli, email: str, profile: str = "soporte", *extra: str) -> Result:
    return ok(cli("--as", OWNER, "invite", email, "--profile", profile, "-a", ACME, *extra))


def can(cli: Cli, email: str, perm: str, account: str = ACME) -> bool:
    result = cli("--as", OWNER, "can", email, perm, "-a", account)
    assert result.exit_code in (0, 1), (result.stdout, result.stderr)
    assert result.stdout.strip() == ("yes" if result.exit_code == 0 else "no")
    return result.exit_code == 0


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- invite -----------------------------------------------------------------------


def test_invite_defaults_to_seven_days(cli: Cli, legal_account: str, clock: FakeClock) -> None:
    result = invite(cli, BEA)
    assert result.stdout == ""  # messages go to stderr
    assert BEA in result.stderr
    [row] = members(cli)
    assert row["user"] == BEA
    assert row["profile"] == "soporte"
    assert row["status"] == "pending"
    assert when(row["invited_at"]) == clock.now
    assert when(row["expires_at"]) == clock.now + timedelta(days=7)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("1s", timedelta(seconds=1)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("7d", timedelta(days=7)),
        ("90d", timedelta(days=90)),
    ],
)
def test_invite_expires_in(
    cli: Cli, legal_account: str, clock: FakeClock, text: str, delta: timedelta
) -> None:
    invite(cli, BEA, "soporte", "--expires-in", text)
    [row] = members(cli)
    assert when(row["expires_at"]) == clock.now + delta


@pytest.mark.parametrize("text", ["0s", "91d", "2161h", "7x", "d", "-1d", "1.5h", "7 days", ""])
def test_invite_bad_expiry_is_invalid(
    cli: Cli, legal_account: str, db_path: Path, text: str
) -> None:
    refused(cli, db_path, 6, "invite", BEA, "--profile", "soporte", "--expires-in", text)


@pytest.mark.parametrize("accepted", [False, True], ids=["pending", "active"])
@pytest.mark.parametrize("again", [BEA, "BEA@example.com", "  bea@example.com  "])
def test_invite_again_same_profile_is_a_no_op(
    cli: Cli, legal_account: str, db_path: Path, accepted: bool, again: str
) -> None:
    invite(cli, BEA, "soporte")
    if accepted:
        ok(cli("--as", BEA, "accept", ACME))
    before = dump(db_path)
    result = invite(cli, again, "soporte")
    assert "nothing to do" in result.stderr.lower()
    assert dump(db_path) == before
    assert len(members(cli)) == 1


@pytest.mark.parametrize("accepted", [False, True], ids=["pending", "active"])
def test_invite_again_other_profile_is_a_conflict(
    cli: Cli, legal_account: str, db_path: Path, accepted: bool
) -> None:
    invite(cli, BEA, "soporte")
    if accepted:
        ok(cli("--as", BEA, "accept", ACME))
    refused(
        cli,
        db_path,
        4,
        "invite",
        BEA,
        "--profile",
        "tecnico",
        hint="collaborator set-profile",
    )


@pytest.mark.parametrize("who", [OWNER, OWNER.upper()])
def test_inviting_the_owner_is_a_conflict(
    cli: Cli, legal_account: str, db_path: Path, who: str
) -> None:
    refused(cli, db_path, 4, "invite", who, "--profile", "soporte")


@pytest.mark.parametrize(
    "email", ["not-an-email", "bea@", "@example.com", "bea@@example.com", "bea@example.test"]
)
def test_inviting_a_bad_email_is_invalid(
    cli: Cli, legal_account: str, db_path: Path, email: str
) -> None:
    refused(cli, db_path, 6, "invite", email, "--profile", "soporte")


def test_inviting_into_an_unknown_profile_is_not_found(
    cli: Cli, legal_account: str, db_path: Path
) -> None:
    refused(cli, db_path, 3, "invite", BEA, "--profile", "financiero")


# -- accept, decline, expiry ----------------------------------------------------------


def test_accept_makes_an_active_collaborator(cli: Cli, legal_account: str) -> None:
    invite(cli, BEA)
    assert not can(cli, BEA, SOPORTE_HAS)  # pending holds nothing
    result = ok(cli("--as", BEA, "accept", ACME))
    assert ACME in result.stderr
    assert status_of(cli, BEA) == "active"
    assert can(cli, BEA, SOPORTE_HAS)
    assert not can(cli, BEA, TECNICO_HAS)


def test_decline(cli: Cli, legal_account: str, db_path: Path) -> None:
    invite(cli, BEA)
    ok(cli("--as", BEA, "decline", ACME))
    assert status_of(cli, BEA) == "declined"
    assert not can(cli, BEA, SOPORTE_HAS)
    # no longer pending: neither accept nor decline again
    refused(cli, db_path, 4, "--as", BEA, "accept", ACME)
    refused(cli, db_path, 4, "--as", BEA, "decline", ACME)


def test_the_invitation_email_is_accepted_in_any_case(cli: Cli, legal_account: str) -> None:
    invite(cli, BEA)
    ok(cli("--as", "BEA@example.com", "accept", ACME))
    assert status_of(cli, BEA) == "active"


@pytest.mark.parametrize("verb", ["accept", "decline"])
def test_accept_or_decline_without_an_invitation_is_not_found(
    cli: Cli, legal_account: str, db_path: Path, clock: FakeClock, verb: str
) -> None:
    register(db_path, clock, ZED)
    invite(cli, BEA)  # someone else's invitation is not zed's
    refused(cli, db_path, 3, "--as", ZED, verb, ACME)
    refused(cli, db_path, 3, "--as", BEA, verb, "no-such-account")


def test_accepting_someone_elses_invitation_does_nothing_to_it(
    cli: Cli, legal_account: str, db_path: Path, clock: FakeClock
) -> None:
    register(db_path, clock, ZED)
    invite(cli, BEA)
    refused(cli, db_path, 3, "--as", ZED, "accept", ACME)
    assert status_of(cli, BEA) == "pending"


def test_an_expired_invitation_cannot_be_accepted(
    cli: Cli, legal_account: str, db_path: Path, clock: FakeClock
) -> None:
    invite(cli, BEA)
    clock.advance(days=8)
    assert status_of(cli, BEA) == "expired"
    refused(cli, db_path, 4, "--as", BEA, "accept", ACME, hint="invitation renew")
    refused(cli, db_path, 4, "--as", BEA, "decline", ACME)
    assert not can(cli, BEA, SOPORTE_HAS)


def test_expiry_is_judged_against_the_clock(cli: Cli, legal_account: str, clock: FakeClock) -> None:
    invite(cli, BEA, "soporte", "--expires-in", "90s")
    clock.advance(seconds=89)
    assert status_of(cli, BEA) == "pending"
    clock.advance(seconds=2)
    assert status_of(cli, BEA) == "expired"


def test_an_invitation_accepted_in_time_stays_active(
    cli: Cli, legal_account: str, clock: FakeClock
) -> None:
    invite(cli, BEA, "soporte", "--expires-in", "1h")
    clock.advance(minutes=59)
    ok(cli("--as", BEA, "accept", ACME))
    clock.advance(days=30)
    assert status_of(cli, BEA) == "active"
    assert can(cli, BEA, SOPORTE_HAS)


# -- renew -----------------------------------------------------------------------------


def test_renew_a_pending_invitation(cli: Cli, legal_account: str, clock: FakeClock) -> None:
    invite(cli, BEA)
    clock.advance(days=2)
    ok(cli("invitation", "renew", BEA))
    [row] = members(cli)
    assert row["status"] == "pending"
    assert when(row["expires_at"]) == clock.now + timedelta(days=7)
    ok(cli("invitation", "renew", BEA, "--expires-in", "48h"))
    assert when(members(cli)[0]["expires_at"]) == clock.now + timedelta(hours=48)


def test_renew_an_expired_invitation_then_accept(
    cli: Cli, legal_account: str, clock: FakeClock
) -> None:
    invite(cli, BEA)
    clock.advance(days=10)
    assert status_of(cli, BEA) == "expired"
    ok(cli("invitation", "renew", BEA, "--expires-in", "1d"))
    [row] = members(cli)  # renewed in place, not a new invitation
    assert row["status"] == "pending"
    assert when(row["expires_at"]) == clock.now + timedelta(days=1)
    ok(cli("--as", BEA, "accept", ACME))
    assert status_of(cli, BEA) == "active"
    assert can(cli, BEA, SOPORTE_HAS)


@pytest.mark.parametrize("ending", ["decline", "remove", "accept"])
def test_renew_a_declined_revoked_or_active_one_is_a_conflict(
    cli: Cli, legal_account: str, db_path: Path, ending: str
) -> None:
    invite(cli, BEA)
    if ending == "remove":
        ok(cli("collaborator", "remove", BEA))
    else:
        ok(cli("--as", BEA, ending, ACME))
    refused(cli, db_path, 4, "invitation", "renew", BEA)


def test_renew_without_an_invitation_is_not_found(
    cli: Cli, legal_account: str, db_path: Path, clock: FakeClock
) -> None:
    register(db_path, clock, ZED)
    refused(cli, db_path, 3, "invitation", "renew", ZED)
    refused(cli, db_path, 3, "invitation", "renew", NOBODY)


def test_renew_with_a_bad_expiry_is_invalid(cli: Cli, legal_account: str, db_path: Path) -> None:
    invite(cli, BEA)
    refused(cli, db_path, 6, "invitation", "renew", BEA, "--expires-in", "91d")


# -- remove, history, re-invite -------------------------------------------------------


def test_remove_revokes_and_keeps_history(cli: Cli, team: str, db_path: Path) -> None:
    assert can(cli, BEA, SOPORTE_HAS)
    ok(cli("collaborator", "remove", BEA))
    assert status_of(cli, BEA) == "revoked"
    assert not can(cli, BEA, SOPORTE_HAS)
    refused(cli, db_path, 4, "collaborator", "remove", BEA)  # already revoked
    invite(cli, BEA, "tecnico")
    history = rows_of(cli, BEA)
    assert [(r["status"], r["profile"]) for r in history] == [
        ("revoked", "soporte"),
        ("pending", "tecnico"),
    ]
    assert not can(cli, BEA, TECNICO_HAS)  # the new invitation is only pending
    ok(cli("--as", BEA, "accept", ACME))
    assert can(cli, BEA, TECNICO_HAS)
    assert not can(cli, BEA, SOPORTE_HAS)
    assert [r["status"] for r in rows_of(cli, BEA)] == ["revoked", "active"]


def test_remove_a_pending_invitation(cli: Cli, team: str, db_path: Path) -> None:
    ok(cli("collaborator", "remove", CAIO))
    assert status_of(cli, CAIO) == "revoked"
    refused(cli, db_path, 4, "--as", CAIO, "accept", ACME)  # no longer pending


def test_remove_someone_never_invited_is_not_found(
    cli: Cli, team: str, db_path: Path, clock: FakeClock
) -> None:
    register(db_path, clock, ZED)
    refused(cli, db_path, 3, "collaborator", "remove", ZED)
    refused(cli, db_path, 3, "collaborator", "remove", NOBODY)


def test_reinvite_after_decline_is_a_new_invitation(cli: Cli, legal_account: str) -> None:
    invite(cli, BEA, "soporte")
    ok(cli("--as", BEA, "decline", ACME))
    invite(cli, BEA, "soporte")
    assert [r["status"] for r in rows_of(cli, BEA)] == ["declined", "pending"]
    ok(cli("--as", BEA, "accept", ACME))
    assert [r["status"] for r in rows_of(cli, BEA)] == ["declined", "active"]


def test_reinvite_after_expiry_is_a_new_invitation(
    cli: Cli, legal_account: str, clock: FakeClock
) -> None:
    invite(cli, BEA, "soporte")
    clock.advance(days=8)
    invite(cli, BEA, "tecnico")
    assert [(r["status"], r["profile"]) for r in rows_of(cli, BEA)] == [
        ("expired", "soporte"),
        ("pending", "tecnico"),
    ]


@pytest.fixture
def everyone(cli: Cli, legal_account: str, clock: FakeClock) -> dict[str, str]:
    """One collaborator in each status."""
    invite(cli, FABI, "soporte", "--expires-in", "1h")
    clock.advance(hours=2)  # fabi: expired
    invite(cli, BEA, "soporte")
    ok(cli("--as", BEA, "accept", ACME))
    invite(cli, CAIO, "tecnico")
    invite(cli, DORA, "soporte")
    ok(cli("--as", DORA, "decline", ACME))
    invite(cli, ELI, "tecnico")
    ok(cli("collaborator", "remove", ELI))
    return {BEA: "active", CAIO: "pending", DORA: "declined", ELI: "revoked", FABI: "expired"}


def test_list_shows_every_status_and_filters(cli: Cli, everyone: dict[str, str]) -> None:
    assert {m["user"]: m["status"] for m in members(cli)} == everyone
    for status in ("pending", "active", "expired", "revoked", "declined"):
        found = members(cli, "--status", status)
        assert [m["user"] for m in found] == [u for u, s in everyone.items() if s == status]
        for m in found:
            assert {"user", "profile", "status", "invited_at", "expires_at"} <= set(m)


def test_list_as_a_table(cli: Cli, everyone: dict[str, str]) -> None:
    out = ok(cli("collaborator", "list")).stdout
    for email, status in everyone.items():
        [line] = [line for line in out.splitlines() if email in line]
        assert status in line


def test_list_with_an_unknown_status_fails(
    cli: Cli, everyone: dict[str, str], db_path: Path
) -> None:
    before = dump(db_path)
    result = cli("collaborator", "list", "--status", "gone")
    assert result.exit_code in (2, 6)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert dump(db_path) == before


def test_show_json(cli: Cli, team: str) -> None:
    data = json.loads(ok(cli("collaborator", "show", BEA, "--json")).stdout)
    assert data["user"] == BEA
    assert data["account"] == ACME
    assert data["status"] == "active"
    assert data["profile"] == "soporte"
    assert set(data["permissions"]) == set(preset_ids("soporte"))
    assert [h["status"] for h in data["history"]] == ["active"]
    pending = json.loads(ok(cli("collaborator", "show", CAIO, "--json")).stdout)
    assert pending["status"] == "pending"
    assert pending["permissions"] == []


def test_show_keeps_history(cli: Cli, team: str) -> None:
    ok(cli("collaborator", "remove", BEA))
    invite(cli, BEA, "tecnico")
    data = json.loads(ok(cli("collaborator", "show", BEA, "--json")).stdout)
    assert (data["status"], data["profile"]) == ("pending", "tecnico")
    assert [(h["status"], h["profile"]) for h in data["history"]] == [
        ("revoked", "soporte"),
        ("pending", "tecnico"),
    ]


def test_show_someone_never_invited_is_not_found(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 3, "collaborator", "show", NOBODY, "--json")


# -- profiles are roles -----------------------------------------------------------------


def test_set_profile_changes_answers_at_once(cli: Cli, team: str, db_path: Path) -> None:
    assert can(cli, BEA, SOPORTE_HAS)
    assert not can(cli, BEA, TECNICO_HAS)
    ok(cli("collaborator", "set-profile", BEA, "tecnico"))
    assert not can(cli, BEA, SOPORTE_HAS)
    assert can(cli, BEA, TECNICO_HAS)
    assert (rows_of(cli, BEA)[-1]["profile"], status_of(cli, BEA)) == ("tecnico", "active")
    # a pending invitation can be moved too, and stays pending
    ok(cli("collaborator", "set-profile", CAIO, "soporte"))
    assert (rows_of(cli, CAIO)[-1]["profile"], status_of(cli, CAIO)) == ("soporte", "pending")
    # the same profile again changes nothing
    before = dump(db_path)
    ok(cli("collaborator", "set-profile", BEA, "tecnico"))
    assert dump(db_path) == before


def test_set_profile_refusals(cli: Cli, team: str, db_path: Path, clock: FakeClock) -> None:
    refused(cli, db_path, 3, "collaborator", "set-profile", BEA, "financiero")
    register(db_path, clock, ZED)
    refused(cli, db_path, 3, "collaborator", "set-profile", ZED, "tecnico")
    ok(cli("collaborator", "remove", BEA))
    refused(cli, db_path, 4, "collaborator", "set-profile", BEA, "tecnico")


def test_profile_edit_changes_every_holder_at_once(cli: Cli, team: str) -> None:
    invite(cli, DORA, "soporte")
    ok(cli("--as", DORA, "accept", ACME))
    ok(cli("--as", CAIO, "accept", ACME))
    assert can(cli, BEA, SOPORTE_HAS) and can(cli, DORA, SOPORTE_HAS)
    assert not can(cli, BEA, "withdrawal.withdraw")
    ok(cli("profile", "edit", "soporte", "--add", "withdrawal.withdraw", "--remove", SOPORTE_HAS))
    for holder in (BEA, DORA):
        assert can(cli, holder, "withdrawal.withdraw")
        assert not can(cli, holder, SOPORTE_HAS)
    # tecnico's holder is untouched
    assert can(cli, CAIO, TECNICO_HAS)
    assert not can(cli, CAIO, "withdrawal.withdraw")
    shown = json.loads(ok(cli("collaborator", "show", BEA, "--json")).stdout)
    assert set(shown["permissions"]) == (set(preset_ids("soporte")) - {SOPORTE_HAS}) | {
        "withdrawal.withdraw"
    }


def test_profile_delete_in_use_needs_reassign(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 4, "profile", "delete", "soporte", hint="--reassign")
    assert can(cli, BEA, SOPORTE_HAS)


def test_profile_delete_reassign_moves_holders(cli: Cli, team: str) -> None:
    invite(cli, DORA, "soporte")  # pending on soporte
    invite(cli, ELI, "soporte")
    ok(cli("collaborator", "remove", ELI))  # history only
    ok(cli("profile", "delete", "soporte", "--reassign", "tecnico"))
    now = {m["user"]: (m["profile"], m["status"]) for m in members(cli, "--status", "active")}
    assert now == {BEA: ("tecnico", "active")}
    assert rows_of(cli, DORA)[-1]["profile"] == "tecnico"
    assert status_of(cli, DORA) == "pending"
    assert status_of(cli, ELI) == "revoked"
    assert can(cli, BEA, TECNICO_HAS)
    assert not can(cli, BEA, SOPORTE_HAS)
    names = [p["name"] for p in json.loads(ok(cli("profile", "list", "--json")).stdout)]
    assert names == ["tecnico"]


def test_profile_delete_reassign_to_unknown_profile(cli: Cli, team: str, db_path: Path) -> None:
    refused(cli, db_path, 3, "profile", "delete", "soporte", "--reassign", "financiero")


# -- only the owner manages the team ----------------------------------------------------

MUTATIONS = {
    "invite": ["invite", DORA, "--profile", "soporte", "-a", ACME],
    "profile-edit": ["profile", "edit", "soporte", "--add", "tools.listboss", "-a", ACME],
    "collaborator-remove": ["collaborator", "remove", CAIO, "-a", ACME],
    "set-tax-id": ["account", "set-tax-id", ACME, OTHER_CNPJ, "--country", "BR"],
    "invitation-renew": ["invitation", "renew", CAIO, "-a", ACME],
    "set-profile": ["collaborator", "set-profile", CAIO, "soporte", "-a", ACME],
    "profile-delete": ["profile", "delete", "tecnico", "--reassign", "soporte", "-a", ACME],
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("actor", [BEA, ZED], ids=["collaborator", "stranger"])
def test_only_the_owner_manages_the_team(
    cli: Cli, team: str, db_path: Path, clock: FakeClock, actor: str, mutation: str
) -> None:
    register(db_path, clock, ZED)
    if actor == ZED:  # an outsider is told nothing: not even that the account exists
        hidden(cli, db_path, ACME, "--as", actor, *MUTATIONS[mutation])
    else:  # a collaborator knows it does
        refused(cli, db_path, 5, "--as", actor, *MUTATIONS[mutation])
    # and the same command by the owner goes through
    ok(cli("--as", OWNER, *MUTATIONS[mutation]))


def test_nobody_logged_in_cannot_invite(cli: Cli, team: str, db_path: Path) -> None:
    ok(cli("logout"))
    refused(cli, db_path, 5, "invite", DORA, "--profile", "soporte", "-a", ACME, hint="login")


def test_an_unregistered_actor_is_told_what_a_missing_account_gets(
    cli: Cli, team: str, db_path: Path
) -> None:
    """Not 5 ("not a registered user"), which would tell a stranger that the slug exists."""
    hidden(
        cli, db_path, ACME, "--as", "ghost@example.com", "invite", DORA, "-p", "soporte", "-a", ACME
    )


def test_a_collaborator_cannot_read_another_account(
    cli: Cli, team: str, db_path: Path, clock: FakeClock
) -> None:
    register(db_path, clock, ZED)
    hidden(cli, db_path, ACME, "--as", ZED, "collaborator", "list", "-a", ACME)
    hidden(cli, db_path, ACME, "--as", CAIO, "collaborator", "list", "-a", ACME)  # only pending
    assert ok(cli("--as", BEA, "collaborator", "list", "-a", ACME, "--json")).stdout
