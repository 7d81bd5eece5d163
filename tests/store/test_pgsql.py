"""The translation of core's SQL for PostgreSQL (store/pgsql.py): it reads comments,
string literals and quoted identifiers as such, numbers the placeholders, translates the
few constructs it knows, and refuses everything else as an internal error (exit 8).

sqlglot, a SQL parser and transpiler, is the oracle: every translation must parse as
PostgreSQL and name the same tables and columns as the SQLite text it came from."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from colabctl.errors import ExitCode, InternalError
from colabctl.store.pgsql import translate

pytestmark = pytest.mark.quick  # plain unit tests, no store: the quick tier


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("SELECT id FROM users WHERE email_key = ?", "SELECT id FROM users WHERE email_key = $1"),
        (
            "SELECT a FROM t WHERE b = :x AND c = :y OR d = :x",
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = $1",
        ),
        (  # nothing inside a literal is a placeholder, a comment or a percent to escape
            "SELECT 'it''s ? :x -- %s /*' FROM t WHERE a = ? -- a comment with ? in it\n",
            "SELECT 'it''s ? :x -- %s /*' FROM t WHERE a = $1",
        ),
        ("SELECT /* ? */ a FROM t", "SELECT a FROM t"),
        ('SELECT "a" FROM t WHERE b % 2 = ?', 'SELECT "a" FROM t WHERE b % 2 = $1'),
        (
            "SELECT group_concat(pp.permission, ' ') FROM pp",
            "SELECT string_agg(pp.permission, ' ') FROM pp",
        ),
        (
            "SELECT a FROM t WHERE b IN (SELECT value FROM json_each(:ids))",
            "SELECT a FROM t WHERE b IN (SELECT value FROM"
            " json_array_elements_text(CAST($1 AS json)))",
        ),
        (
            "INSERT INTO users (email, name) VALUES (?, ?) RETURNING id",
            "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id",
        ),
        (
            "SELECT a FROM t ORDER BY b DESC NULLS LAST",
            "SELECT a FROM t ORDER BY b DESC NULLS LAST",
        ),
        ("SELECT a IS NOT NULL, b IS NULL FROM t", "SELECT a IS NOT NULL, b IS NULL FROM t"),
        ("COMMIT", "COMMIT"),
    ],
)
def test_what_it_translates(sql: str, text: str) -> None:
    assert translate(sql).text == text


def test_named_placeholders_take_their_values_by_name() -> None:
    statement = translate("SELECT a FROM t WHERE b = :x AND c = :y OR d = :x")
    assert statement.names == ("x", "y")
    assert statement.arguments({"y": 2, "x": 1, "unused": 3}) == [1, 2]
    with pytest.raises(InternalError):
        statement.arguments((1, 2))
    with pytest.raises(InternalError):
        statement.arguments({"x": 1})


def test_positional_placeholders_take_exactly_their_count() -> None:
    statement = translate("SELECT a FROM t WHERE b = ? AND c = ?")
    assert statement.arguments((1, 2)) == (1, 2)
    for wrong in [(1,), (1, 2, 3)]:
        with pytest.raises(InternalError):
            statement.arguments(wrong)
    with pytest.raises(InternalError):
        statement.arguments({"b": 1})


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("SELECT a FROM t WHERE b LIKE ?", "LIKE"),  # case rules differ
        ("SELECT a FROM t WHERE b GLOB ?", "GLOB"),
        ("SELECT a FROM t WHERE b IS ?", "IS between values"),
        ("SELECT max(a, b) FROM t", "max() with 2 arguments"),
        ("SELECT group_concat(a) FROM t", "group_concat() with 1 arguments"),
        ("SELECT lower(a) FROM t", "LOWER"),
        ("SELECT strftime('%s', a) FROM t", "STRFTIME"),
        ("SELECT a FROM t WHERE b = ?1", "unknown text"),
        ("SELECT a::text FROM t", "unknown text"),
        ("SELECT a FROM t WHERE b == 1", "unknown text"),
        ("SELECT `a` FROM t", "unknown text"),
        ("SELECT [a] FROM t", "unknown text"),
        ('SELECT "A" FROM t', "unknown text"),  # PostgreSQL folds nothing inside quotes
        ("SELECT 'open FROM t", "unknown text"),  # an unterminated literal
        ("SELECT a FROM t /* open", "unknown text"),
        ("SELECT a FROM t WHERE b = @x", "unknown text"),
        ("SELECT a FROM t WHERE b = $1", "unknown text"),
        ("SELECT 0x10", "unknown text"),
        ("SELECT a FROM t; DROP TABLE t", "unknown text"),
        ("INSERT OR IGNORE INTO t VALUES (1)", "IGNORE"),
        ("PRAGMA user_version", "PRAGMA"),
        ("SELECT rowid FROM t", "ROWID"),
        ("SELECT a FROM t WHERE b = TRUE", "TRUE"),
        ("SELECT user FROM t", "USER"),  # PostgreSQL's current user, not a column
        ("SELECT frobnicate(a) FROM t", "frobnicate() is not known"),
        ("SELECT a FROM json_each(b)", "json_each() of anything but one placeholder"),
        ("SELECT a FROM t WHERE (b = 1", "unclosed parenthesis"),
        ("SELECT a FROM t WHERE b = 1)", "unmatched parenthesis"),
        ("SELECT a FROM t WHERE b = ? AND c = :c", "both `?` and `:name`"),
    ],
)
def test_what_it_refuses_is_an_internal_error(sql: str, said: str) -> None:
    with pytest.raises(InternalError) as refused:
        translate(sql)
    assert refused.value.exit_code == ExitCode.INTERNAL
    assert said in refused.value.message, refused.value.message


# Statements of the shapes core writes (the statement recorder prepares every one core
# really runs, on a real server: tests/sqlrecorder.py).
SHAPES = [
    "SELECT a.id, a.slug, a.name, a.owner_id, u.email, a.tax_country, a.tax_id"
    " FROM accounts a JOIN users u ON u.id = a.owner_id WHERE a.slug = ?",
    "SELECT p.name, group_concat(pp.permission, ' ') FROM profiles p"
    " LEFT JOIN profile_permissions pp ON pp.profile_id = p.id"
    " WHERE p.account_id = ? GROUP BY p.id ORDER BY p.name",
    "SELECT 0, t.id, a.slug FROM transfers t JOIN accounts a ON a.id = t.account_id"
    " WHERE t.expires_at <= :now UNION ALL SELECT 1, m.id, a.slug FROM memberships m"
    " JOIN accounts a ON a.id = m.account_id WHERE m.expires_at <= :now ORDER BY 1, 2",
    "SELECT coalesce((SELECT id FROM memberships WHERE account_id = ? AND status IN"
    " ('pending', 'active')), (SELECT max(id) FROM memberships WHERE account_id = ?))",
    "SELECT CASE WHEN m.status = 'pending' AND m.expires_at <= :now THEN 'expired'"
    " ELSE m.status END FROM memberships m WHERE m.user_id = :u ORDER BY 1",
    "UPDATE memberships SET status = 'expired', ended_at = expires_at WHERE id = ?",
    "DELETE FROM profile_permissions WHERE profile_id = ? AND permission = ?",
    "SELECT email FROM users WHERE email_key IN (SELECT value FROM json_each(?))",
    "SELECT count(*) FROM audit WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?)",
]


def _names(tree: Any) -> set[str]:
    return {node.name for node in tree.find_all(exp.Column, exp.Table)}


@pytest.mark.parametrize("sql", SHAPES)
def test_sqlglot_reads_the_translation_as_postgresql_with_the_same_names(sql: str) -> None:
    ours = translate(sql).text
    theirs = sqlglot.parse_one(ours, read="postgres")
    assert _names(theirs) == _names(sqlglot.parse_one(sql, read="sqlite"))
