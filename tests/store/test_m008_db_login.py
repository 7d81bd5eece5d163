"""Migration m008 on SQLite (docs/storage.md, "Schema versions and migrations"): a store
made at schema 7 gains audit.db_login (NULL: SQLite has no database logins, so old rows
and new keep it empty), an empty store_bindings table, and the audit_append view with
db_login; its chain still verifies, before and after new rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database
from support import Cli, as_owner, audit_rows, copy_store, ok

from colabctl.store.migrations import migrations
from colabctl.store.schema import SCHEMA_VERSION

M008 = "m008_db_login_and_bindings"


def made_at(path: Path, stop_before: str | None) -> None:
    db = Database(sqlite3.connect(path, isolation_level=None))
    db.execute("BEGIN IMMEDIATE")
    migrations.apply(db, stop_before=stop_before)
    db.execute("COMMIT")
    db.close()


def schema(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return {
            (r[0], " ".join(r[1].split()))
            for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                " AND name != '_sqlite_migrations'"
            )
        }
    finally:
        conn.close()


def back_to_schema_7(db_path: Path) -> None:
    """The same rows in a store made at schema 7 (every migration before m008), put in
    place of DB_PATH. Audit rows go in through schema 7's audit_append, in order, so the
    guarded head follows them."""
    old = db_path.with_name("schema7.db")
    made_at(old, M008)
    conn = sqlite3.connect(old, isolation_level=None)
    try:
        conn.execute("ATTACH ? AS new", (str(db_path),))
        conn.execute("BEGIN")
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%'"
                " AND name NOT IN ('_sqlite_migrations', 'audit', 'audit_head') ORDER BY rowid"
            )
        ]
        assert "store_bindings" not in tables
        for table in tables:
            columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
            conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM new.{table}")
        columns = ", ".join(r[1] for r in conn.execute("PRAGMA main.table_info(audit)"))
        assert "db_login" not in columns
        conn.execute(
            f"INSERT INTO main.audit_append ({columns})"
            f" SELECT {columns} FROM new.audit ORDER BY seq"
        )
        conn.execute("COMMIT")
        conn.execute("DETACH new")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    old.replace(db_path)


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
    back_to_schema_7(db_path)
    assert version(db_path) == 7
    old_rows = audit_rows(db_path)
    assert [{k: v for k, v in r.items() if k != "db_login"} for r in before] == old_rows

    assert verified(cli) == len(old_rows)  # the first command migrates the store
    assert version(db_path) == SCHEMA_VERSION
    assert audit_rows(db_path) == before  # every old row, with db_login NULL
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
    assert schema(db_path) == schema(fresh)  # as if it had been made at schema 8

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
