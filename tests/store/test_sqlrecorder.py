"""The statement recorder (tests/sqlrecorder.py) fails the run for each statement that
cannot run on PostgreSQL: one the translation refuses, one the server rejects when it
prepares it, one that orders by a column that may be NULL without saying where NULLs go.

Engines: PostgreSQL only, where the statements are prepared (they are recorded on SQLite)."""

from __future__ import annotations

import pytest
import sqlrecorder

pytestmark = pytest.mark.engines("postgres")

FINE = {
    "SELECT id FROM users WHERE email_key = ?": ["a@b.c"],
    "SELECT p.name, group_concat(pp.permission, ' ') FROM profiles p"
    " JOIN profile_permissions pp ON pp.profile_id = p.id WHERE p.account_id = :a"
    " GROUP BY p.id ORDER BY p.name": {"a": 1},
    "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?) RETURNING id": [
        "a@b.c",
        "a@b.c",
        "2026-11-02T09:00:00Z",
    ],
    "SELECT id FROM memberships ORDER BY access_until NULLS LAST, id": [],
    "COMMIT": [],
}


def test_statements_both_engines_run_pass(pg_url: str) -> None:
    assert sqlrecorder.problems(FINE, pg_url) == []


@pytest.mark.parametrize(
    ("sql", "sample", "said"),
    [
        ("SELECT id FROM users WHERE email LIKE ?", ["a%"], "LIKE is read differently"),
        ("SELECT id FROM users WHERE email IS ?", ["a"], "IS between values"),
        ("SELECT strftime('%s', created_at) FROM users", [], "STRFTIME"),
        ("SELECT id FROM users WHERE nickname = ?", ["x"], 'column "nickname" does not exist'),
        ("SELECT id FROM users WHERE id AND ?", [1], "argument of AND must be type boolean"),
        ("SELECT id FROM memberships ORDER BY access_until", [], "ORDER BY access_until"),
    ],
)
def test_a_statement_postgresql_cannot_run_is_named(
    pg_url: str, sql: str, sample: list[object], said: str
) -> None:
    (problem,) = sqlrecorder.problems({sql: sample}, pg_url)
    assert said in problem, problem
