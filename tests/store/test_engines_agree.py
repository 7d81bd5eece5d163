"""Both engines answer alike (docs/storage.md, "One interface, two engines"): the same
Python types (a comparison is 1 or 0, a sum an int, never a bool on one and an int on
the other, never a Decimal), NULLs where the SQL says, case rules that are the same, and
a bug in colabctl's SQL is an internal error (exit 8) on both, never the store's fault
(7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from support import ACME, BOB, OWNER, Cli, as_owner, failure, ok

from colabctl.core.session import Session
from colabctl.store.engine import Target, open_for_write
from colabctl.store.sql import Store


@pytest.fixture
def store(legal_account: str, db_path: Target) -> Iterator[Store]:
    """The test's store (ana's acme-cursos), open in a write transaction that is rolled
    back afterwards."""
    opened = open_for_write(db_path)
    try:
        with pytest.raises(_Undo), opened.transaction():
            yield opened
            raise _Undo
    finally:
        opened.close()


class _Undo(Exception):
    pass


def one(store: Store, sql: str, params: Any = ()) -> tuple[Any, ...]:
    row = store.conn.execute(sql, params).fetchone()
    return tuple(row)


def test_a_comparison_is_1_or_0_on_both(store: Store) -> None:
    found = one(store, "SELECT 1 = 1, 1 = 2, id IS NULL, id IS NOT NULL FROM users WHERE id = 1")
    assert found == (1, 0, 0, 1)
    assert all(type(value) is int for value in found), found  # never True and False


def test_exists_is_1_or_0_on_both(store: Store) -> None:
    found = one(
        store,
        "SELECT EXISTS (SELECT 1 FROM users WHERE email_key = ?),"
        " NOT EXISTS (SELECT 1 FROM users WHERE email_key = ?)",
        (OWNER, OWNER),
    )
    assert found == (1, 0)
    assert all(type(value) is int for value in found), found


def test_a_sum_and_a_count_are_ints_never_decimals(store: Store) -> None:
    """PostgreSQL's sum() of bigints is a numeric: it must not come back as a Decimal,
    which JSON cannot write (exit 8)."""
    total, count, biggest = one(store, "SELECT sum(id), count(*), max(id) FROM users")
    assert (type(total), type(count), type(biggest)) == (int, int, int)
    json.dumps([total, count, biggest])
    (empty,) = one(store, "SELECT sum(id) FROM users WHERE id < 0")
    assert empty is None


def test_nulls_sort_where_the_sql_says(store: Store) -> None:
    """NULLs sort first on SQLite and last on PostgreSQL unless the SQL says: colabctl's
    SQL says (the statement recorder refuses an ORDER BY on a column that may be NULL
    without NULLS FIRST or LAST)."""
    store.conn.execute("UPDATE users SET name = NULL WHERE email_key = ?", (OWNER,))
    store.conn.execute(
        "INSERT INTO users (email, email_key, name, created_at) VALUES (?, ?, ?, ?)",
        (BOB, BOB, "Bob", "2026-11-02T09:00:00Z"),
    )
    first = [r[0] for r in store.conn.execute("SELECT name FROM users ORDER BY name NULLS FIRST")]
    last = [r[0] for r in store.conn.execute("SELECT name FROM users ORDER BY name NULLS LAST")]
    assert first == [None, "Bob"] and last == ["Bob", None]


def test_text_compares_case_sensitively_on_both(store: Store) -> None:
    (found,) = one(store, "SELECT count(*) FROM accounts WHERE slug = ?", (ACME.upper(),))
    assert found == 0
    (ordered,) = one(
        store, "SELECT group_concat(x, ' ') FROM (SELECT 'b' AS x UNION ALL SELECT 'B') AS t"
    )
    assert sorted(ordered.split()) == ["B", "b"]
    for email, name in (("b@example.com", "b"), ("c@example.com", "B")):
        store.conn.execute(
            "INSERT INTO users (email, email_key, name, created_at) VALUES (?, ?, ?, ?)",
            (email, email, name, "2026-11-02T09:00:00Z"),
        )
    names = [r[0] for r in store.conn.execute("SELECT name FROM users ORDER BY name NULLS LAST")]
    assert names == ["Ana Souza", "B", "b"]  # byte order on both (COLLATE "C" on PostgreSQL)


def test_a_profile_name_is_found_as_written_on_both(cli: Cli, legal_account: str) -> None:
    ok(cli(*as_owner("profile", "show", "soporte")))
    failure(cli(*as_owner("profile", "show", "SOPORTE")), 3)


# -- a bug in colabctl's SQL ----------------------------------------------------------------------


def _broken(sql: str) -> Any:
    def user_by_email(self: Session, email: str) -> Any:
        return self.conn.execute(sql, (email,)).fetchone()

    return user_by_email


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, email, nickname FROM users WHERE email_key = ?",  # no such column
        "SELECT id, email, name FROM userz WHERE email_key = ?",  # no such table
        "SELECT id, email, name FROM users WHERE email_key = ? AND",  # a syntax error
        "SELECT id, email, name FROM users WHERE email_key = ? AND id = ?",  # a value short
    ],
    ids=["column", "table", "syntax", "parameters"],
)
def test_sql_the_engine_cannot_run_is_an_internal_error(
    cli: Cli, legal_account: str, monkeypatch: pytest.MonkeyPatch, sql: str
) -> None:
    monkeypatch.setattr(Session, "user_by_email", _broken(sql))
    error, hint = failure(cli(*as_owner("whoami")), 8)
    assert error.startswith("error: internal error: "), error
    assert hint is not None and "COLABCTL_DEBUG=1" in hint


@pytest.mark.engines("postgres")  # SQLite runs it: the translation is PostgreSQL's
def test_sql_the_translation_does_not_know_is_an_internal_error(
    cli: Cli, legal_account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Session, "user_by_email", _broken("SELECT id, email, name FROM users WHERE email LIKE ?")
    )
    error, _ = failure(cli(*as_owner("whoami")), 8)
    assert "LIKE" in error and "cannot run on PostgreSQL" in error, error
