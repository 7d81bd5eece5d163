"""Migration m003 (docs/storage.md, "Identity keys and skeletons (m003)"): a store written
at schema 2, with the old casefold() keys, gets the new keys and skeletons; two users that
the new key would make one are reported (exit 7, store untouched), never merged.

Engines: SQLite only: a SQLite file written at schema 2 (PostgreSQL stores begin at m008's
schema: tests/store/test_pg_schema.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from support import Cli, dump, failure, ok

from colabctl.errors import ExitCode
from colabctl.store.keys import email_key, skeleton
from colabctl.store.migrations import migrations
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite")

OLD = "2026-10-01T00:00:00Z"


def schema2_store(path: Path, *emails: str) -> None:
    """A store as colabctl wrote it before m003: the real m001 and m002, and each user
    keyed by the old rule, `casefold()`."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    migrations.apply(db, stop_before="m003_identity_keys")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    for email in emails:
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?)",
            (email, email.strip().casefold(), OLD),
        )
    conn.close()


def rows(path: Path) -> list[tuple[str, str, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT email, email_key, skeleton FROM users ORDER BY id").fetchall()
    finally:
        conn.close()


def test_an_old_store_migrates_to_the_new_keys(cli: Cli, db_path: Path) -> None:
    people = ["ana.souza@example.com", "Straße@example.de", "JOÃO@exämple.com"]
    schema2_store(db_path, *people)
    ok(cli("--as", "straße@example.de", "whoami"))  # any command migrates first
    assert rows(db_path) == [(e, email_key(e), skeleton(e)) for e in people]
    assert rows(db_path)[1][1] == "straße@example.de"  # was "strasse@example.de"
    assert rows(db_path)[2][1] == "joão@xn--exmple-cua.com"
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT 1 FROM users WHERE skeleton = ? AND email_key <> ?", ("x", "y")
    ).fetchall()
    conn.close()
    assert "users_skeleton" in str(plan)  # the lookalike check is one indexed lookup
    # after the split, strasse is a new person, not Straße
    ok(cli("login", "strasse@example.de"))
    assert len(rows(db_path)) == 4
    # and the idna form of João's domain finds João
    ok(cli("--as", "joão@xn--exmple-cua.com", "whoami"))


def test_old_keys_that_would_swap_migrate_without_tripping_the_unique_index(
    cli: Cli, db_path: Path
) -> None:
    # row 1's old key is row 2's new one: keys are rewritten in two passes
    schema2_store(db_path, "a@example.com")
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("UPDATE users SET email_key = 'b@example.com'")
    conn.execute(
        "INSERT INTO users (email, email_key, created_at) VALUES ('b@example.com', 'x', ?)", (OLD,)
    )
    conn.close()
    ok(cli("--as", "a@example.com", "whoami"))
    assert [key for _, key, _ in rows(db_path)] == ["a@example.com", "b@example.com"]


def test_a_key_clash_is_reported_and_the_store_left_untouched(cli: Cli, db_path: Path) -> None:
    # one mailbox stored twice (the domain once in Unicode, once in IDNA ASCII): the old
    # keys told them apart, the new key cannot
    schema2_store(db_path, "ana@example.com", "user@exämple.com", "user@xn--exmple-cua.com")
    before = dump(db_path)
    for args in (("--as", "ana@example.com", "whoami"), ("login", "new@example.com")):
        error, hint = failure(cli(*args), ExitCode.STORE)
        assert "users 2 ('user@exämple.com') and 3 ('user@xn--exmple-cua.com')" in error
        assert "nothing was merged" in error
        assert hint is not None and "docs/storage.md" in hint
        assert dump(db_path) == before
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
