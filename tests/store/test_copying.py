"""store/copying.TABLES, the one list of tables and columns `store copy` writes, is the
schema of a fresh store on each engine: a migration that adds a table or a column fails
here until the copy knows it.

Engines: both, by its own targets: a fresh SQLite file and a fresh PostgreSQL schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from colabctl.store import copying
from colabctl.store.engine import Target, open_for_write

# where audit rows go in, what colabctl reads through, what a server's policies read
# through: not tables of their own
VIEWS = copying.VIEWS


def fresh_schema(target: Target) -> dict[str, set[str]]:
    store = open_for_write(target)
    try:
        with store.transaction():
            return store.conn.live_schema()
    finally:
        store.close()


def check(schema: dict[str, set[str]]) -> None:
    tables = {t.name: set(t.columns) for t in copying.TABLES}
    assert set(schema) - copying.BOOKKEEPING - VIEWS == set(tables)
    for name, columns in tables.items():
        assert schema[name] == columns, name
        assert len(columns) == len(next(t for t in copying.TABLES if t.name == name).columns)
    # the view takes every column of an audit row that the copy writes
    audit = next(t for t in copying.TABLES if t.name == "audit")
    assert audit.chained
    assert schema["audit_append"] == set(audit.columns)


def test_tables_match_a_fresh_sqlite_store(tmp_path: Path) -> None:
    check(fresh_schema(tmp_path / "fresh.db"))


@pytest.mark.postgres
def test_tables_match_a_fresh_postgresql_store(pg_url: str) -> None:
    check(fresh_schema(pg_url))


def test_a_new_column_would_be_noticed(tmp_path: Path) -> None:
    schema = fresh_schema(tmp_path / "fresh.db")
    schema["memberships"].add("note")
    with pytest.raises(AssertionError):
        check(schema)
    schema = fresh_schema(tmp_path / "fresh.db")
    schema["new_table"] = {"id"}
    with pytest.raises(AssertionError):
        check(schema)


def test_tables_come_after_those_they_refer_to(tmp_path: Path) -> None:
    """The copy order: every foreign key points to a table copied earlier."""
    import sqlite3

    conn = sqlite3.connect(tmp_path / "fresh.db")
    fresh_schema(tmp_path / "fresh.db")
    order = [t.name for t in copying.TABLES]
    try:
        for position, name in enumerate(order):
            for row in conn.execute(f"PRAGMA foreign_key_list({name})"):
                assert row[2] in order[:position], (name, row[2])
    finally:
        conn.close()
