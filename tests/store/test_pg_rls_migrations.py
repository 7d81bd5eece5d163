"""Grants follow the schema: the migration that brought row-level security (m010) takes
back whatever was granted by hand before it and gives each bound login exactly what
`store bind` gives; a later migration that adds a table extends the grants of every
bound login, in its own transaction, and the table has row-level security whatever the
migration says (docs/postgres.md, "Upgrades")."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from support import pg_schema
from test_pg_rls import _privileges

from colabctl.store import pg_migrations, pg_security

pytestmark = pytest.mark.postgres

AT = "2026-11-02T09:00:00Z"


@pytest.fixture
def logins(pg_admin: Any) -> Iterator[list[str]]:
    """Three fresh logins (roles are the server's: dropped afterwards)."""
    names = [f"grants_{n}_{secrets.token_hex(3)}" for n in ("old", "stray", "new")]
    for name in names:
        pg_admin.execute(f"CREATE ROLE {name} LOGIN")
    yield names
    for name in names:
        pg_admin.execute(f"DROP OWNED BY {name}")
        pg_admin.execute(f"DROP ROLE {name}")


def _migrate(conn: psycopg.Connection[Any], upto: int | None = None) -> None:
    """The migrations (the first UPTO of them, as an older colabctl would) in one
    transaction."""
    conn.execute("BEGIN")
    if upto is None:
        pg_migrations.apply_pending(conn)
    else:
        for statement in pg_migrations.BOOKKEEPING:
            conn.execute(statement)
        for name, steps in pg_migrations.MIGRATIONS[:upto]:
            for step in steps:
                if callable(step):  # (m009's checkpoint)
                    step(conn)
                else:
                    conn.execute(step)
            conn.execute("INSERT INTO _sqlite_migrations VALUES ('colabctl', %s, 'then')", (name,))
    conn.execute("COMMIT")


def _bind(conn: psycopg.Connection[Any], login: str, user_id: int) -> None:
    """What `store bind` writes and grants (its audit row aside)."""
    conn.execute("INSERT INTO store_bindings VALUES (%s, %s, %s)", (login, user_id, AT))
    for statement in pg_security.grant_statements(login, pg_schema_of(conn)):
        conn.execute(statement)


def pg_schema_of(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def test_m010_takes_back_hand_grants_and_grants_what_bind_grants(
    pg_url: str, pg_admin: Any, logins: list[str]
) -> None:
    old, stray, new = logins
    schema = pg_schema(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _migrate(conn, upto=8)  # a store of schema 8, grants written by hand as docs said
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES ('a@x.com', 'a@x.com', %s),"
            " ('b@x.com', 'b@x.com', %s)",
            (AT, AT),
        )
        conn.execute("INSERT INTO store_bindings VALUES (%s, 1, %s)", (old, AT))
        for login in (old, stray):
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {login}")
            every = "SELECT, INSERT, UPDATE, DELETE"
            conn.execute(f"GRANT {every} ON ALL TABLES IN SCHEMA {schema} TO {login}")
        assert _privileges(pg_admin, stray, schema)

        _migrate(conn)
        assert pg_migrations.schema_version(conn) == len(pg_migrations.MIGRATIONS)
        # users that no audit row created: m009 wrote a checkpoint, and m010 then altered
        # `audit` in the same transaction (its row checked at once, not left pending)
        last = conn.execute("SELECT action FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        assert last == ("store.checkpoint",)
        # the unbound login holds nothing now; the bound one what a binding made today gets
        assert _privileges(pg_admin, stray, schema) == []
        _bind(conn, new, 2)
    granted = set(_privileges(pg_admin, old, schema))
    assert granted == set(_privileges(pg_admin, new, schema))
    assert ("accounts", "tax_id", "SELECT") not in granted
    assert ("account_data", None, "SELECT") in granted


def test_m011_lets_bound_logins_write_the_name_a_history_row_keeps(
    pg_url: str, pg_admin: Any, logins: list[str]
) -> None:
    """A login bound at schema 10 may write memberships.profile_name once m011 adds it
    (row-level security and the guards decide whose rows): the grants of a binding made
    today."""
    old, _, new = logins
    schema = pg_schema(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _migrate(conn, upto=10)
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES ('a@x.com', 'a@x.com', %s),"
            " ('b@x.com', 'b@x.com', %s)",
            (AT, AT),
        )
        conn.execute("INSERT INTO store_bindings VALUES (%s, 1, %s)", (old, AT))
        conn.execute(f"GRANT UPDATE (profile_id) ON memberships TO {old}")  # (as at schema 10)
        _migrate(conn)
        _bind(conn, new, 2)
        may = "SELECT has_column_privilege(%s, 'memberships', 'profile_name', 'UPDATE')"
        for login in (old, new):
            assert conn.execute(may, (login,)).fetchone() == (True,)
    assert set(_privileges(pg_admin, old, schema)) == set(_privileges(pg_admin, new, schema))


def test_a_later_migration_extends_the_grants_of_bound_logins(
    pg_url: str, pg_admin: Any, logins: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    login = logins[0]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _migrate(conn)
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES ('a@x.com', 'a@x.com', %s)",
            (AT,),
        )
        _bind(conn, login, 1)
        later = len(pg_migrations.MIGRATIONS) + 1
        monkeypatch.setattr(
            pg_migrations,
            "MIGRATIONS",
            [
                *pg_migrations.MIGRATIONS,
                (
                    f"m{later:03d}_extra",
                    [
                        "CREATE TABLE extra (id BIGINT PRIMARY KEY)",
                        f"UPDATE colabctl_schema SET version = {later}",
                    ],
                ),
            ],
        )
        monkeypatch.setattr(pg_security, "GRANTS", (*pg_security.GRANTS, ("SELECT", ("extra",))))

        def may_read_extra() -> bool:
            row = conn.execute(
                "SELECT to_regclass('extra') IS NOT NULL"
                " AND has_table_privilege(%s, 'extra', 'SELECT')",
                (login,),
            ).fetchone()
            return bool(row and row[0])

        conn.execute("BEGIN")
        pg_migrations.apply_pending(conn)
        assert may_read_extra()  # in the migration's own transaction
        # and row-level security guards the new table, though its migration did not say so
        secured = conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'extra'::regclass")
        assert secured.fetchone() == (True,)
        conn.execute("ROLLBACK")
        assert not may_read_extra()
        # and the rest of its grants are as they were
        assert ("account_data", None, "SELECT") in _privileges(pg_admin, login, pg_schema(pg_url))


def test_the_checkpoint_row_is_the_store_owners_alone(
    pg_url: str, pg_admin: Any, logins: list[str]
) -> None:
    """m009's `store.checkpoint` holds the whole state (tax IDs as digests): a bound login
    reads no such row, in `audit_log` or anywhere else (docs/postgres.md)."""
    login = logins[0]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _migrate(conn, upto=8)
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES ('a@x.com', 'a@x.com', %s)",
            (AT,),
        )  # a user that no audit row created: the upgrade writes a checkpoint
        _migrate(conn)
        _bind(conn, login, 1)
        seen = "SELECT action, account FROM audit_log"
        assert conn.execute(seen).fetchall() == [("store.checkpoint", None)]  # the owner's
        conn.execute(f"SET SESSION AUTHORIZATION {login}")  # session_user: the bound login
        try:
            assert conn.execute(seen).fetchall() == []
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT action FROM audit")
        finally:
            conn.execute("RESET SESSION AUTHORIZATION")
