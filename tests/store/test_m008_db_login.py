"""Migration m008 on SQLite (docs/storage.md, "Schema versions and migrations"): a store
made at schema 7 gains audit.db_login (NULL: SQLite has no database logins, so old rows
and new keep it empty), an empty store_bindings table, and the audit_append view with
db_login; its chain still verifies, before and after new rows.

Engines: SQLite only: a SQLite file made at schema 7 (PostgreSQL's
m008 is tested in tests/store/test_pg_schema.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support import Cli, as_owner, audit_rows, back_to, copy_store, made_at, ok, sqlite_schema

from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite")

M008 = "m008_db_login_and_bindings"


def version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        found: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return found
    finally:
        conn.close()


def verified(cli: Cli) -> int:
    result = cli("audit", "verify", "--json")
    ok(result)
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is True and verdict["first_bad_seq"] is None, verdict
    rows: int = verdict["rows"]
    return rows


def test_a_schema_7_store_migrates_to_8_and_its_chain_still_verifies(
    cli: Cli, db_path: Path, acme_template: Path, tmp_path: Path
) -> None:
    copy_store(acme_template, db_path)
    before = audit_rows(db_path)
    assert before and all(row["db_login"] is None for row in before)
    back_to(db_path, M008)  # schema 7: no store_bindings, no audit.db_login
    assert version(db_path) == 7
    assert "store_bindings" not in {name for name, _ in sqlite_schema(db_path)}
    old_rows = audit_rows(db_path)
    assert [{k: v for k, v in r.items() if k != "db_login"} for r in before] == old_rows

    assert verified(cli) == len(old_rows)  # verify judges the store as it is...
    assert version(db_path) == 7
    ok(cli("audit", "head"))  # ...any other read migrates it
    assert version(db_path) == SCHEMA_VERSION
    assert audit_rows(db_path) == before  # every old row, with db_login NULL (no checkpoint)
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM store_bindings").fetchone() == (0,)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(audit_append)")]
        assert columns[-1] == "db_login"
        names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
        assert M008 in names
    finally:
        conn.close()
    fresh = tmp_path / "fresh.db"
    made_at(fresh, None)
    assert sqlite_schema(db_path) == sqlite_schema(fresh)  # as if it had been made at this schema

    # new rows go in through the recreated view, chained onto the old ones
    ok(cli(*as_owner("profile", "create", "financiero", "--preset", "financiero")))
    after = audit_rows(db_path)
    assert len(after) > len(before) and after[: len(before)] == before
    assert after[len(before)]["prev_hash"] == before[-1]["hash"]
    assert all(row["db_login"] is None for row in after)
    assert verified(cli) == len(after)


def test_the_view_takes_db_login(db_path: Path) -> None:
    made_at(db_path, None)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute(
            "INSERT INTO audit_append (seq, at, actor, account, action, target, details,"
            " prev_hash, hash, db_login) VALUES (1, 'then', NULL, NULL, 'x', NULL, '{}', ?, 'h1',"
            " 'a_login')",
            ("0" * 64,),
        )
        assert conn.execute("SELECT seq, db_login FROM audit").fetchall() == [(1, "a_login")]
        assert conn.execute("SELECT seq, hash FROM audit_head").fetchall() == [(1, "h1")]
    finally:
        conn.close()
