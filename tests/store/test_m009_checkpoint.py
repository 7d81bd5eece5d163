"""Migration m009 (docs/storage.md, "Checkpoints (m009)"), on both engines: a store
whose log, as earlier colabctls wrote it, cannot be replayed into its tables gets one
account-less `store.checkpoint` row holding the whole state (tax IDs as digests), and
replay starts from it; a store whose rows replay, or a new one, gets none. The row
moves the head, so a plan saved before the upgrade is refused. `audit verify` judges a
store as it is: an older one gets the chain check and `state not checked (schema 8)`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import older_store
from support import (
    ACME,
    BOB,
    CNPJ,
    OWNER,
    Cli,
    as_owner,
    audit_rows,
    is_pg,
    ok,
    raw,
)

from colabctl.store import audit
from colabctl.store.engine import Target
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite", "postgres")

M009 = "m009_checkpoint"
FINANCIERO = ["reports.payment_methods", "reports.commissions", "withdrawal.withdraw"]


def verify_json(cli: Cli) -> dict[str, Any]:
    result = cli("audit", "verify", "--json")
    assert "Traceback" not in result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == (0 if found["intact"] else 1)
    return found


def version(db: Target) -> int:
    sql = "SELECT version FROM colabctl_schema" if is_pg(db) else "PRAGMA user_version"
    ((found,),) = raw(db, sql)[0]
    return int(found)


def checkpoints(db: Target) -> list[dict[str, Any]]:
    return [row for row in audit_rows(db) if row["action"] == "store.checkpoint"]


# -- an older store ----------------------------------------------------------------------------


def _acked(cli: Cli) -> None:
    """bob active in soporte; an unused-profile finding (tecnico) acknowledged."""
    ok(cli(*as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", BOB, "accept", ACME))
    found = json.loads(ok(cli(*as_owner("review", "-a", ACME, "--json"))).stdout)["findings"]
    unused = next(f for f in found if f["kind"] == "unused-profile")
    ok(cli(*as_owner("review", "ack", unused["id"], "--reason", "later", "-a", ACME)))


def old_colabctl_wrote(db: Target) -> None:
    """Rows as colabctl wrote them before m009: a profile created with a description its
    row does not carry, and an acknowledgement whose row lacks the fingerprint (the
    tables as they were; the rows chained onto the log by store.audit, as then)."""
    from colabctl.store.engine import open_for_write

    store = open_for_write(db)
    try:
        with store.transaction():
            conn = store.conn
            (account_id,) = conn.execute(
                "SELECT id FROM accounts WHERE slug = ?", (ACME,)
            ).fetchone()
            (profile_id,) = conn.execute(
                "INSERT INTO profiles (account_id, name, description, created_at)"
                " VALUES (?, 'financiero', 'Finanzas', 'then') RETURNING id",
                (account_id,),
            ).fetchone()
            conn.executemany(
                "INSERT INTO profile_permissions (profile_id, permission) VALUES (?, ?)",
                [(profile_id, p) for p in FINANCIERO],
            )
            conn.execute(
                "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
                " VALUES (?, 'f00d', 'fp', ?, 'then', 'ok')",
                (account_id, OWNER),
            )
            at = "2026-11-02T09:00:00Z"
            audit.append_many(
                conn,
                [
                    (at, OWNER, ACME, "profile.create", "financiero", {"permissions": FINANCIERO}),
                    (at, OWNER, ACME, "review.ack", "x", {"finding": "f00d", "reason": "ok"}),
                ],
                db_login=store.db_login,
            )
    finally:
        store.close()


def at_schema_8(
    db: Target, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Target:
    """The same rows, audit rows and head in a store made by every migration before m009,
    which becomes the test's store (returned)."""
    return older_store(db, M009, request, monkeypatch)


@pytest.fixture
def older(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Target:
    """acme-cursos (bob active, an ack) with rows from before m009 that do not replay, in
    a store at schema 8."""
    _acked(cli)
    old_colabctl_wrote(db_path)
    return at_schema_8(db_path, request, monkeypatch)


# -- the tests ------------------------------------------------------------------------------


def test_a_new_store_gets_no_checkpoint(cli: Cli, legal_account: str, db_path: Target) -> None:
    _acked(cli)
    assert checkpoints(db_path) == []
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == 1


def test_a_store_whose_rows_replay_gets_none(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _acked(cli)
    old = at_schema_8(db_path, request, monkeypatch)
    before = audit_rows(old)
    assert version(old) == 8
    ok(cli("audit", "head"))  # a read migrates it
    assert version(old) == SCHEMA_VERSION
    assert audit_rows(old) == before
    found = verify_json(cli)
    assert found["intact"] and found["state_from"] == 1


def test_verify_judges_an_older_store_as_it_is(cli: Cli, older: Target) -> None:
    before = audit_rows(older)
    result = cli("audit", "verify")
    ok(result)
    assert "state not checked (schema 8)" in result.stdout.splitlines()
    found = verify_json(cli)
    assert (found["intact"], found["breaks"], found["state_from"]) == (True, [], None)
    assert found["state_skipped"] == "schema 8"
    assert version(older) == 8 and audit_rows(older) == before  # nothing migrated


def test_rows_that_do_not_replay_get_one_checkpoint_and_replay_starts_there(
    cli: Cli, older: Target
) -> None:
    before = audit_rows(older)
    ok(cli(*as_owner("whoami")))  # the first command migrates it
    after = audit_rows(older)
    assert after[: len(before)] == before
    (checkpoint,) = after[len(before) :]
    assert checkpoint["seq"] == before[-1]["seq"] + 1
    assert (checkpoint["actor"], checkpoint["account"], checkpoint["target"]) == (None,) * 3
    state = json.loads(checkpoint["details"])
    assert [ACME, "financiero", "Finanzas", sorted(FINANCIERO)] in state["profiles"]
    assert [ACME, "f00d", "fp", OWNER, "ok"] in state["acks"]
    # the tax ID as a digest of country:number, never the number
    digest = hashlib.sha256(b"BR:11222333000181").hexdigest()
    assert state["accounts"][0][3:] == ["BR", digest]
    for shown in ("11222333000181", CNPJ):
        assert shown not in checkpoint["details"]
    verdict = verify_json(cli)
    assert verdict["intact"] and verdict["state_from"] == checkpoint["seq"]
    text = ok(cli("audit", "verify")).stdout
    assert f"state checked from seq {checkpoint['seq']}" in text
    # a change after it replays onto it, and one behind colabctl's back is named
    ok(cli(*as_owner("profile", "edit", "financiero", "--remove", "withdrawal.withdraw")))
    assert verify_json(cli)["intact"]
    raw(
        older,
        "INSERT INTO profile_permissions (profile_id, permission) SELECT id,"
        " 'withdrawal.withdraw' FROM profiles WHERE name = 'financiero'",
    )
    messages = [b["message"] for b in verify_json(cli)["breaks"]]
    assert messages == [
        f"{ACME}: profile financiero holds withdrawal.withdraw, which no audit row gave it"
    ]


def test_a_checkpoint_is_in_no_accounts_audit_log(cli: Cli, older: Target) -> None:
    ok(cli("audit", "head"))
    assert len(checkpoints(older)) == 1
    for actor in (OWNER, BOB):
        rows = json.loads(ok(cli("--as", actor, "audit", "log", "-a", ACME, "--json")).stdout)
        assert rows and "store.checkpoint" not in {r["action"] for r in rows}


def test_a_plan_saved_before_the_upgrade_must_be_made_again(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan records the head of the store as the older colabctl left it; the upgrade
    that the apply's own transaction runs appends the checkpoint, which moves the head:
    apply refuses, and nothing is written (the upgrade included)."""
    _acked(cli)
    old_colabctl_wrote(db_path)
    team = tmp_path / "team.toml"
    team.write_text(f'version = 1\n\n[accounts.{ACME}]\nname = "Acme Renamed"\n', encoding="utf-8")
    saved = tmp_path / "plan.json"
    ok(cli(*as_owner("plan", "-f", str(team), "-o", str(saved))), 0)
    old = at_schema_8(db_path, request, monkeypatch)  # as if the plan came before the upgrade
    before = audit_rows(old)
    result = cli(*as_owner("apply", str(saved), "--yes"))
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "the store changed since this plan" in result.stderr
    assert audit_rows(old) == before and version(old) == 8
    ok(cli(*as_owner("plan", "-f", str(team), "-o", str(saved))))  # made again: upgraded
    assert version(old) == SCHEMA_VERSION and len(checkpoints(old)) == 1
    ok(cli(*as_owner("apply", str(saved), "--yes")))
    assert verify_json(cli)["intact"]


def test_a_checkpoint_accepts_the_tables_as_they_are(
    cli: Cli,
    legal_account: str,
    db_path: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why the docs say to run `audit verify` before upgrading: a grant made by hand
    before the upgrade is part of the state the checkpoint records."""
    _acked(cli)
    raw(
        db_path,
        "INSERT INTO profile_permissions (profile_id, permission) SELECT id,"
        " 'withdrawal.withdraw' FROM profiles WHERE name = 'soporte'",
    )
    assert not verify_json(cli)["intact"]  # this colabctl, before the upgrade, names it
    old = at_schema_8(db_path, request, monkeypatch)
    ok(cli("audit", "head"))
    assert len(checkpoints(old)) == 1
    assert verify_json(cli)["intact"]
