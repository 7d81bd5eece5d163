"""Migration m011 (docs/storage.md, "Names of deleted profiles (m011)"), on both engines:
history rows keep the name of a profile deleted after it; rows that an older colabctl
left without one get it back where the log says it (replayed as `audit verify` replays
it), and stay without one where it does not; the store migrates in the transaction of
the command that first opens it, and verifies as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import older_store
from support import (
    ACME,
    BOB,
    CARLA,
    DORA,
    OWNER,
    Cli,
    FakeClock,
    as_owner,
    audit_rows,
    failure,
    ok,
    raw,
)
from test_m009_checkpoint import checkpoints, verify_json, version

from colabctl.store.engine import Target
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite", "postgres")

M009 = "m009_checkpoint"
M011 = "m011_profile_names"


def history(cli: Cli) -> dict[str, tuple[str, str | None, bool]]:
    """Each person's latest row in `collaborator list --json`: (status, profile,
    profile_deleted)."""
    rows = json.loads(ok(cli(*as_owner("collaborator", "list", "-a", ACME, "--json"))).stdout)
    return {r["user"]: (r["status"], r["profile"], r["profile_deleted"]) for r in rows}


def stored_names(db: Target) -> list[tuple[Any, ...]]:
    """(status, profile_id is null, profile_name) of every membership, in id order."""
    (found,) = raw(
        db, "SELECT status, profile_id IS NULL, profile_name FROM memberships ORDER BY id"
    )
    return [(status, bool(gone), name) for status, gone, name in found]


def soporte_deleted(cli: Cli) -> None:
    """soporte's history (carla declined, dora revoked) and its live holder (bob, moved
    to tecnico), then soporte deleted."""
    ok(cli(*as_owner("invite", CARLA, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", CARLA, "decline", ACME))
    ok(cli(*as_owner("invite", DORA, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", DORA, "accept", ACME))
    ok(cli(*as_owner("collaborator", "remove", DORA, "-a", ACME)))
    ok(cli(*as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)))
    ok(cli(*as_owner("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME)))


EXPECTED = {
    CARLA: ("declined", "soporte", True),
    DORA: ("revoked", "soporte", True),
    BOB: ("pending", "tecnico", False),
}


@pytest.fixture
def older(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Target:
    """soporte deleted, in a store at schema 10, where its history rows have no name."""
    soporte_deleted(cli)
    return older_store(db_path, M011, request, monkeypatch)


def test_an_older_store_gets_the_names_back_from_its_log(cli: Cli, older: Target) -> None:
    before = audit_rows(older)
    assert version(older) == SCHEMA_VERSION - 1
    assert history(cli) == EXPECTED  # the first command migrates it
    assert version(older) == SCHEMA_VERSION
    assert stored_names(older) == [
        ("declined", True, "soporte"),
        ("revoked", True, "soporte"),
        ("pending", False, None),
    ]
    assert audit_rows(older) == before  # no checkpoint: the log says every name
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == 1


def test_a_store_from_before_m009_whose_log_replays_gets_its_names_and_no_checkpoint(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """m009 holds the log against the tables: names the tables lost and the log still
    says are no reason for a checkpoint, as m011, in the same transaction, restores them."""
    soporte_deleted(cli)
    old = older_store(db_path, M009, request, monkeypatch)
    before = audit_rows(old)
    assert history(cli) == EXPECTED
    assert audit_rows(old) == before and checkpoints(old) == []
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == 1


def test_a_checkpoint_m009_writes_holds_the_names_m011_gives_back(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A store from before m009 that needs a checkpoint (a user no audit row created):
    the checkpoint holds the tables as the upgrade leaves them, names given back."""
    soporte_deleted(cli)
    raw(
        db_path,
        "INSERT INTO users (email, email_key, created_at)"
        " VALUES ('eve@example.com', 'eve@example.com', 'then')",
    )
    old = older_store(db_path, M009, request, monkeypatch)
    assert history(cli) == EXPECTED
    (checkpoint,) = checkpoints(old)
    held = json.loads(checkpoint["details"])["memberships"]
    assert [ACME, CARLA, "soporte", "declined"] in [m[:4] for m in held]
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == checkpoint["seq"]


def checkpoint_without_names(db: Target) -> None:
    """A checkpoint as a colabctl before m011 wrote it: the tables as they were, no
    history row naming a deleted profile."""
    from colabctl.store import audit
    from colabctl.store.engine import open_for_write
    from colabctl.store.holdings import read_state
    from colabctl.store.replay import CHECKPOINT, checkpoint_details

    store = open_for_write(db)
    try:
        with store.transaction():
            state = checkpoint_details(read_state(store.conn, kept_names=False))
            at = "2026-11-05T09:00:00Z"
            row = (at, None, None, CHECKPOINT, None, state)
            audit.append_many(store.conn, [row], db_login=store.db_login)
    finally:
        store.close()


def test_names_the_log_no_longer_says_stay_unknown(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A checkpoint an older colabctl wrote after the delete holds the rows without a name:
    replay starts there, so the names are not known, and stay null (the table says
    `(deleted)`); the store verifies."""
    soporte_deleted(cli)
    checkpoint_without_names(db_path)
    old = older_store(db_path, M011, request, monkeypatch)
    assert history(cli) == {
        CARLA: ("declined", None, True),
        DORA: ("revoked", None, True),
        BOB: ("pending", "tecnico", False),
    }
    (checkpoint,) = checkpoints(old)
    text = ok(cli(*as_owner("collaborator", "list", "-a", ACME))).stdout
    (line,) = [line for line in text.splitlines() if CARLA in line]
    assert "(deleted)" in line and "soporte" not in line
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == checkpoint["seq"]


def test_history_of_a_profile_not_yet_deleted_keeps_its_name_once_it_is(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok(cli(*as_owner("invite", CARLA, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", CARLA, "decline", ACME))
    old = older_store(db_path, M011, request, monkeypatch)
    assert history(cli) == {CARLA: ("declined", "soporte", False)}
    assert version(old) == SCHEMA_VERSION
    ok(cli(*as_owner("profile", "delete", "soporte", "-a", ACME)))
    assert history(cli) == {CARLA: ("declined", "soporte", True)}
    assert stored_names(old) == [("declined", True, "soporte")]
    assert verify_json(cli)["intact"]


def old_colabctl_deleted_soporte(db: Target) -> None:
    """soporte deleted as colabctl did before a delete counted the assigned: the expired
    invitation left behind (its profile taken off by the schema), and the row naming the
    holders alone (none)."""
    from colabctl.store import audit
    from colabctl.store.engine import open_for_write

    store = open_for_write(db)
    try:
        with store.transaction():
            store.conn.execute(
                "DELETE FROM profiles WHERE name = 'soporte' AND account_id ="
                " (SELECT id FROM accounts WHERE slug = ?)",
                (ACME,),
            )
            audit.append_many(
                store.conn,
                [
                    (
                        "2026-11-05T09:00:00Z",
                        OWNER,
                        ACME,
                        "profile.delete",
                        "soporte",
                        {"reassigned_to": None, "holders": []},
                    )
                ],
                db_login=store.db_login,
            )
    finally:
        store.close()


def test_an_expired_invitation_to_a_deleted_profile_is_not_renewed(
    cli: Cli,
    clock: FakeClock,
    legal_account: str,
    db_path: Target,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """carla's invitation expired and soporte was deleted by an older colabctl: her row
    gets the name back, and says the profile is gone (the report too). Renewing it would
    revive an invitation to no profile (exit 4, nothing written); a team file that wants
    her in a new soporte invites her anew."""
    ok(cli(*as_owner("invite", CARLA, "--profile", "soporte", "-a", ACME, "--expires-in", "1d")))
    clock.advance(days=2)
    ok(cli("login", BOB))  # any write records the expiry
    old_colabctl_deleted_soporte(db_path)
    old = older_store(db_path, M011, request, monkeypatch)
    assert history(cli) == {CARLA: ("expired", "soporte", True)}
    before = audit_rows(old)
    message, hint = failure(cli(*as_owner("invitation", "renew", CARLA, "-a", ACME)), 4)
    assert "a profile that no longer exists" in message
    assert hint is not None and "invite" in hint
    assert audit_rows(old) == before
    report = ok(cli(*as_owner("report", "-a", ACME, "--format", "md"))).stdout
    (line,) = [line for line in report.splitlines() if line.startswith(f"| {CARLA} |")]
    assert "| soporte (deleted) | expired |" in line  # among the invitations
    ok(cli(*as_owner("profile", "create", "soporte", "--preset", "soporte", "-a", ACME)))
    team = ok(cli(*as_owner("export", "-a", ACME))).stdout + f'"{CARLA}" = "soporte"\n'
    plan = json.loads(ok(cli(*as_owner("plan", "-f", "-", "--json"), input=team)).stdout)
    assert [(c["kind"], c["target"]) for c in plan["changes"]] == [("invite", CARLA)]
    ok(cli(*as_owner("apply", "-f", "-", "--yes"), input=team))
    assert history(cli) == {CARLA: ("pending", "soporte", False)}
    assert verify_json(cli)["intact"]
