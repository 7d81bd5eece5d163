"""The schema on PostgreSQL (store/pg_migrations.py, docs/storage.md "The schema on
PostgreSQL"), on a real throwaway server, through psycopg directly: the same tables,
columns and indexes as a SQLite store built by store/migrations.py, and every rule the
database enforces (append-only audit, the head, owners, review acks, who really acted).

Each test gets a fresh schema of its own (the `pg_url` fixture); statements run on
autocommit connections, so each refused statement is its own rolled-back transaction.

Engines: PostgreSQL only: its schema, through psycopg directly."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, errors
from sqlite_utils import Database

from colabctl.store import pg_migrations, pg_security
from colabctl.store.audit import chained_hash
from colabctl.store.migrations import migrations
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.postgres

Conn = Any  # psycopg.Connection[tuple[Any, ...]]
ANA = "ana.souza@example.com"
BOB = "bob@example.com"
CARLA = "carla@example.com"
AT = "2026-11-29T12:00:00Z"
ZEROS = "0" * 64

# Triggers PostgreSQL needs beyond SQLite's: ids (SQLite's INTEGER PRIMARY KEY does it
# by itself), TRUNCATE (SQLite has none), who really acted (m008, PostgreSQL only), and
# the head covering every row at COMMIT (PostgreSQL's head moves over many rows at once).
PG_ONLY_TRIGGERS = {
    *(f"{table}_next_id" for table in pg_migrations.ID_TABLES),
    "audit_no_truncate",
    "audit_head_no_truncate",
    "review_acks_no_truncate",
    "audit_db_login",
    "audit_head_covers",
    # who may write what (store/pg_security.py): a SQLite file trusts whoever opens it
    "guard_accounts",
    "guard_audit",
    "guard_memberships",
    "guard_permissions",
    "guard_transfers",
    "store_bindings_by_owner",
    "store_bindings_by_owner_truncate",
}
BOOKKEEPING = {"_sqlite_migrations", "colabctl_schema"}


# -- helpers --------------------------------------------------------------------------------


def connect(url: str) -> Conn:
    return psycopg.connect(url, autocommit=True)


def migrate(conn: Conn) -> None:
    """apply_pending as its caller runs it: in a transaction on an autocommit connection."""
    conn.execute("BEGIN")
    pg_migrations.apply_pending(conn)
    conn.execute("COMMIT")


def sqlite_store(path: Path, stop_before: str | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    db.execute("BEGIN IMMEDIATE")
    migrations.apply(db, stop_before=stop_before)
    db.execute("COMMIT")
    return conn


def one(conn: Conn, sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0]


def head(conn: Conn) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def digest(prev_hash: str, seq: int) -> str:
    return hashlib.sha256(f"{prev_hash}{seq}".encode()).hexdigest()


def append(
    conn: Conn,
    actor: str | None = ANA,
    db_login: str | None = "",
    *,
    into: str = "audit_append",
    rename: bool = False,
) -> tuple[int, str]:
    """One audit row at the head (through the view, which moves the head; or straight
    into audit, which does not). db_login "" means the connection's own login. RENAME:
    a user.rename row of the actor (with its true hash), which a login bound to them may
    append; else a test.row of acme-cursos, which only the store owner may."""
    login = one(conn, "SELECT session_user::text") if db_login == "" else db_login
    seq, prev = head(conn)
    seq += 1
    row: tuple[Any, ...]
    if rename:
        hash_ = chained_hash(prev, seq, AT, actor, None, "user.rename", actor, "{}", login)
        row = (seq, AT, actor, None, "user.rename", actor, "{}", prev, hash_, login)
    else:
        fake = digest(prev, seq)
        row = (seq, AT, actor, "acme-cursos", "test.row", None, "{}", prev, fake, login)
    conn.execute(
        f"INSERT INTO {into} (seq, at, actor, account, action, target, details, prev_hash,"
        " hash, db_login) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        row,
    )
    return seq, row[8]


def refused(conn: Conn, message: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """The statement fails as a constraint violation with MESSAGE, and changes nothing."""
    before = snapshot(conn)
    with pytest.raises(errors.IntegrityError) as caught:
        conn.execute(sql, params)
    assert caught.value.diag.message_primary == message, caught.value
    assert snapshot(conn) == before


def snapshot(conn: Conn) -> list[Any]:
    tables = ["audit", "audit_head", "memberships", "accounts", "review_acks", "store_bindings"]
    return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables]


def seeded(conn: Conn) -> None:
    """ana owns acme-cursos (profile soporte); bob and carla exist."""
    for email in (ANA, BOB, CARLA):
        conn.execute(
            "INSERT INTO users (email, email_key, created_at) VALUES (%s, %s, %s)",
            (email, email, AT),
        )
    conn.execute(
        "INSERT INTO accounts (slug, name, owner_id, created_at)"
        " VALUES ('acme-cursos', 'Acme', 1, %s)",
        (AT,),
    )
    conn.execute(
        "INSERT INTO profiles (account_id, name, created_at) VALUES (1, 'soporte', %s)", (AT,)
    )


def membership(conn: Conn, user_id: int, status: str = "pending") -> int:
    profile = 1 if status in ("pending", "active") else None
    return int(
        one(
            conn,
            "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_at,"
            " expires_at) VALUES (1, %s, %s, %s, %s, %s) RETURNING id",
            (user_id, profile, status, AT, AT),
        )
    )


@pytest.fixture
def store(pg_url: str) -> Iterator[Conn]:
    """A migrated schema, seeded, on an autocommit connection as the superuser."""
    with connect(pg_url) as conn:
        migrate(conn)
        seeded(conn)
        yield conn


@pytest.fixture
def other_login(pg_url: str, store: Conn) -> Iterator[tuple[str, str]]:
    """A second login (not a superuser, not the tables' owner) that may read and write
    colabctl's tables in this schema: (its name, a URL for it on this schema)."""
    name = f"other_{secrets.token_hex(4)}"
    password = secrets.token_hex(8)
    schema = one(store, "SELECT current_schema()")
    store.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    store.execute(f"GRANT USAGE ON SCHEMA {schema} TO {name}")
    store.execute(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {schema} TO {name}")
    store.execute(f"GRANT UPDATE ON audit_head TO {name}")
    yield name, conninfo.make_conninfo(pg_url, user=name, password=password)
    store.execute(f"DROP OWNED BY {name} CASCADE")
    store.execute(f"DROP ROLE {name}")


# -- the schema -----------------------------------------------------------------------------


def sqlite_shape(conn: sqlite3.Connection) -> dict[str, Any]:
    types = {"INTEGER": "bigint", "TEXT": "text"}
    shape: dict[str, Any] = {}
    relations = conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%' AND name <> '_sqlite_migrations' ORDER BY name"
    ).fetchall()
    for name, kind in relations:
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        # (a view's column has no declared type where it is computed: views are compared
        # by their column names)
        columns = [
            (c[1], None, None) if kind == "view" else (c[1], types[c[2]], bool(c[3] or c[5]))
            for c in info
        ]
        pk = tuple(c[1] for c in sorted((c for c in info if c[5]), key=lambda c: c[5]))
        created: dict[str, tuple[bool, bool, tuple[str, ...]]] = {}
        unique: set[tuple[str, ...]] = set()
        for _, index, is_unique, origin, partial in conn.execute(f"PRAGMA index_list({name})"):
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({index})"))
            if origin == "c":
                created[index] = (bool(is_unique), bool(partial), cols)
            elif origin == "u":
                unique.add(cols)
        shape[name] = {"kind": kind, "columns": columns, "pk": pk, "indexes": created}
        shape[name]["unique"] = unique
    return shape


def pg_shape(conn: Conn) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    relations = conn.execute(
        "SELECT table_name, table_type FROM information_schema.tables"
        " WHERE table_schema = current_schema() ORDER BY table_name"
    ).fetchall()
    for name, kind in relations:
        if name in BOOKKEEPING or name in pg_security.HELPER_VIEWS:  # (the server's own)
            continue
        view = kind == "VIEW"
        columns = [
            (c, None, None) if view else (c, t, nullable == "NO")
            for c, t, nullable in conn.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s"
                " ORDER BY ordinal_position",
                (name,),
            )
        ]
        pk: tuple[str, ...] = ()
        created: dict[str, tuple[bool, bool, tuple[str, ...]]] = {}
        unique: set[tuple[str, ...]] = set()
        for index, is_unique, primary, partial, constraint, cols in conn.execute(
            """
            SELECT i.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL,
                   EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid),
                   array(SELECT a.attname::text
                         FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                         JOIN pg_attribute a
                           ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                         ORDER BY k.n)
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = %s
            """,
            (name,),
        ):
            if primary:
                pk = tuple(cols)
            elif constraint:
                unique.add(tuple(cols))
            else:
                created[index] = (is_unique, partial, tuple(cols))
        listed = {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = %s",
                (name,),
            )
        }
        assert set(created) <= listed
        shape[name] = {"kind": "view" if view else "table", "columns": columns, "pk": pk}
        shape[name]["indexes"] = created
        shape[name]["unique"] = unique
    return shape


def triggers_sqlite(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def triggers_pg(conn: Conn) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
    }


def test_an_empty_schema_is_version_0_and_migrates_to_the_sqlite_schema(
    pg_url: str, tmp_path: Path
) -> None:
    lite = sqlite_store(tmp_path / "store.db")
    with connect(pg_url) as conn:
        assert pg_migrations.schema_version(conn) == 0
        migrate(conn)
        assert pg_migrations.schema_version(conn) == SCHEMA_VERSION == len(pg_migrations.MIGRATIONS)
        assert lite.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

        expected, found = sqlite_shape(lite), pg_shape(conn)
        assert set(found) == set(expected)
        for name in expected:
            assert found[name] == expected[name], name
        assert "store_bindings" in found and found["audit"]["columns"][-1][0] == "db_login"
        assert triggers_pg(conn) == triggers_sqlite(lite) | PG_ONLY_TRIGGERS

        # every text column, bookkeeping included, compares in byte order
        collations = conn.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type = 'text'"
        ).fetchall()
        assert collations and {c[2] for c in collations} == {"C"}, collations
        integers = conn.execute(
            "SELECT DISTINCT data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type LIKE '%%int%%'"
        ).fetchall()
        assert integers == [("bigint",)]

        # the same migrations recorded, under the same set and names
        pg_names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'colabctl' ORDER BY name"
            )
        ]
        lite_names = [
            r[0]
            for r in lite.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'colabctl' ORDER BY name"
            )
        ]
        assert pg_names == lite_names == [name for name, _ in pg_migrations.MIGRATIONS]
        assert head(conn) == (0, ZEROS)

        # every function reads the store's own tables, whatever the caller's path, with
        # its owner's rights (m010): the 18 trigger functions of m001-m008, m010's guards
        # and its answers to questions about the whole store
        schema = one(conn, "SELECT current_schema()")
        functions = conn.execute(
            "SELECT proname, proconfig, prosecdef FROM pg_proc"
            " WHERE pronamespace = current_schema()::regnamespace"
        ).fetchall()
        assert len(functions) == 18 + len(pg_security.GUARDS) + len(pg_security.QUESTIONS)
        assert {(tuple(f[1]), f[2]) for f in functions} == {
            ((f"search_path={schema}, pg_catalog, pg_temp",), True)
        }, functions
    lite.close()


def test_apply_pending_twice_is_a_no_op(pg_url: str) -> None:
    with connect(pg_url) as conn:
        migrate(conn)

        def state() -> list[Any]:
            return [
                conn.execute("SELECT * FROM _sqlite_migrations ORDER BY name").fetchall(),
                conn.execute("SELECT * FROM colabctl_schema").fetchall(),
                conn.execute(
                    "SELECT count(*) FROM pg_class"
                    " WHERE relnamespace = current_schema()::regnamespace"
                ).fetchall(),
            ]

        before = state()
        migrate(conn)
        assert state() == before
        assert before[1] == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused_and_left_alone(pg_url: str) -> None:
    from colabctl.errors import StoreFault

    with connect(pg_url) as conn:
        migrate(conn)
        newer = SCHEMA_VERSION + 1
        conn.execute(f"UPDATE colabctl_schema SET version = {newer}")
        conn.execute("BEGIN")
        with pytest.raises(StoreFault, match=f"schema version {newer}"):
            pg_migrations.apply_pending(conn)
        conn.execute("ROLLBACK")
        assert pg_migrations.schema_version(conn) == newer


def test_schemas_are_separate_stores(pg_url: str) -> None:
    # another schema of the same database stays version 0: nothing is schema-qualified
    with connect(pg_url) as conn:
        migrate(conn)
        conn.execute("CREATE SCHEMA IF NOT EXISTS t_elsewhere")
        conn.execute("SET search_path = t_elsewhere")
        assert pg_migrations.schema_version(conn) == 0
        migrate(conn)
        assert pg_migrations.schema_version(conn) == SCHEMA_VERSION
        conn.execute("DROP SCHEMA t_elsewhere CASCADE")


# -- ids and text order as in SQLite ----------------------------------------------------------


def _interleave(execute: Any, mark: str) -> None:
    plain = f"INSERT INTO users (email, email_key, created_at) VALUES ({mark}, {mark}, '{AT}')"
    given = (
        "INSERT INTO users (id, email, email_key, created_at)"
        f" VALUES ({mark}, {mark}, {mark}, '{AT}')"
    )
    execute(plain, ("a", "a"))
    execute(given, (10, "b", "b"))
    execute(plain, ("c", "c"))
    execute(given, (5, "d", "d"))
    execute(plain, ("e", "e"))


def test_ids_given_and_left_out_interleave_as_in_sqlite(pg_url: str, tmp_path: Path) -> None:
    lite = sqlite_store(tmp_path / "store.db")
    _interleave(lite.execute, "?")
    with connect(pg_url) as conn:
        migrate(conn)
        _interleave(conn.execute, "%s")
        order = "SELECT id, email FROM users ORDER BY email"
        assert conn.execute(order).fetchall() == lite.execute(order).fetchall()
        assert [r[0] for r in conn.execute(order)] == [1, 10, 11, 5, 12]
        # every id table numbers a row left without an id
        seeded_ids = [
            one(
                conn,
                "INSERT INTO accounts (slug, name, owner_id, created_at)"
                " VALUES ('x', 'X', 11, %s) RETURNING id",
                (AT,),
            )
        ]
        assert seeded_ids == [1]
    lite.close()


WORDS = ["a", "Z", "é", "z", "É", "B", "ab", "a b", "Ä", "_", "0", "~"]


def test_text_orders_and_compares_in_byte_order(pg_url: str, tmp_path: Path) -> None:
    lite = sqlite_store(tmp_path / "store.db")
    with connect(pg_url) as conn:
        migrate(conn)
        for i, word in enumerate(WORDS):
            values = (f"u{i}@example.com", f"u{i}@example.com", word, AT)
            sql = (
                "INSERT INTO users (email, email_key, name, created_at) VALUES ({0}, {0}, {0}, {0})"
            )
            conn.execute(sql.format("%s"), values)
            lite.execute(sql.format("?"), values)
        by_name = "SELECT name FROM users ORDER BY name"
        expected = sorted(WORDS, key=lambda w: w.encode())
        assert [r[0] for r in lite.execute(by_name)] == expected
        assert [r[0] for r in conn.execute(by_name)] == expected
        below = "SELECT count(*) FROM users WHERE name < 'a'"
        assert one(conn, below) == lite.execute(below).fetchone()[0] == 4
        assert one(conn, "SELECT count(*) FROM users WHERE name > 'z'") == 4  # ~ é É Ä
    lite.close()


# -- the audit chain ------------------------------------------------------------------------


def test_audit_rows_refuse_update_delete_and_truncate(store: Conn) -> None:
    append(store)
    append(store)
    message = "audit rows are append-only"
    refused(store, message, "UPDATE audit SET actor = 'mallory@example.com' WHERE seq = 1")
    refused(store, message, "DELETE FROM audit WHERE seq = 2")
    refused(store, message, "TRUNCATE audit")


def test_appending_through_the_view_moves_the_head(store: Conn) -> None:
    assert head(store) == (0, ZEROS)
    first = append(store)
    assert head(store) == first == (1, digest(ZEROS, 1))
    second = append(store, actor=None)
    assert head(store) == second
    rows = store.execute("SELECT seq, prev_hash, hash, db_login FROM audit ORDER BY seq")
    assert rows.fetchall() == [
        (1, ZEROS, first[1], "postgres"),
        (2, first[1], second[1], "postgres"),
    ]


OFF_END = "an audit row is only appended at the end of the chain"
OFF_CHAIN = "the audit head only moves forward, onto a row of the chain it heads"
MOVE = "UPDATE audit_head SET id = %s, seq = %s, hash = %s"


def refused_within(conn: Conn, message: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Inside the caller's transaction: the statement fails as a constraint violation with
    MESSAGE and is undone (a savepoint), the transaction going on."""
    before = snapshot(conn)
    with pytest.raises(errors.IntegrityError) as caught, conn.transaction():
        conn.execute(sql, params)
    assert caught.value.diag.message_primary == message, caught.value
    assert snapshot(conn) == before


def test_a_row_joins_only_at_the_end_of_the_chain(store: Conn) -> None:
    seq, digest_ = append(store)
    columns = "INSERT INTO {} (seq, at, action, details, prev_hash, hash, db_login)"
    values = " VALUES (%s, %s, 'x', '{}', %s, %s, session_user)"
    for into in ("audit", "audit_append"):
        sql = columns.format(into) + values
        refused(store, OFF_END, sql, (seq + 2, AT, digest_, "h"))  # off the end
        refused(store, OFF_END, sql, (seq + 1, AT, ZEROS, "h"))  # a wrong link
        refused(store, OFF_END, sql, (seq, AT, ZEROS, "h"))  # over a row
    # past the head, within a transaction: the end is the last row, not the head
    with store.transaction():
        two = append(store, into="audit")
        assert head(store) == (seq, digest_)
        sql = columns.format("audit") + values
        refused_within(store, OFF_END, sql, (4, AT, two[1], "h"))  # off the end
        refused_within(store, OFF_END, sql, (3, AT, digest_, "h"))  # links to the head
        refused_within(store, OFF_END, sql, (2, AT, digest_, "h"))  # row 2 again
        store.execute(sql, (3, AT, two[1], digest(two[1], 3)))
        store.execute(MOVE, (1, 3, digest(two[1], 3)))
    assert head(store) == (3, digest(two[1], 3))


def test_the_head_moves_forward_only_onto_the_chain_it_heads(store: Conn) -> None:
    one_ = append(store)
    with store.transaction():
        rows = chain(store, 2)
        insert_rows(store, rows)
        two, three = [(int(row[0]), str(row[8])) for row in rows]
        assert head(store) == one_
        refused_within(store, OFF_CHAIN, MOVE, (1, 0, ZEROS))  # backwards
        refused_within(store, OFF_CHAIN, MOVE, (1, 1, one_[1]))  # standing still
        refused_within(store, OFF_CHAIN, MOVE, (1, 4, "f" * 64))  # onto a missing row
        refused_within(store, OFF_CHAIN, MOVE, (1, 3, one_[1]))  # row 3 with another hash
        refused_within(store, OFF_CHAIN, MOVE, (2, 3, three[1]))  # a second id
        store.execute(MOVE, (1, 3, three[1]))  # over two rows at once
    assert head(store) == three
    refused(store, OFF_CHAIN, MOVE, (1, 2, two[1]))  # backwards, onto a row there

    # a row past the head that does not link to it: only tampering makes one (a superuser
    # switching every trigger off for a moment); the head never moves over it
    with store.transaction():
        store.execute("SET LOCAL session_replication_role = replica")
        store.execute(
            "INSERT INTO audit (seq, at, action, details, prev_hash, hash, db_login)"
            " VALUES (4, %s, 'x', '{}', %s, %s, session_user)",
            (AT, one_[1], digest(one_[1], 4)),
        )
        store.execute("SET LOCAL session_replication_role = origin")
        refused_within(store, OFF_CHAIN, MOVE, (1, 4, digest(one_[1], 4)))
        raise psycopg.Rollback()
    assert head(store) == three and one(store, "SELECT max(seq) FROM audit") == 3

    refused(store, "the audit head is never deleted", "DELETE FROM audit_head")
    refused(store, "the audit head is never deleted", "TRUNCATE audit_head")
    refused(
        store,
        "the audit head is one record",
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT DO NOTHING",
        (ZEROS,),
    )


def chain(conn: Conn, count: int) -> list[tuple[Any, ...]]:
    """COUNT rows following the store's last row, as append_many writes them."""
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    start, prev = (int(last[0]), str(last[1])) if last else (0, ZEROS)
    rows: list[tuple[Any, ...]] = []
    for seq in range(start + 1, start + count + 1):
        hash_ = digest(prev, seq)
        rows.append((seq, AT, ANA, "acme-cursos", "test.row", None, "{}", prev, hash_))
        prev = hash_
    return rows


def insert_rows(conn: Conn, rows: list[tuple[Any, ...]]) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash,"
            " hash, db_login) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, session_user)",
            rows,
        )


def test_many_rows_then_one_move_of_the_head_commit(store: Conn) -> None:
    append(store)
    rows = chain(store, 300)
    with store.transaction():
        insert_rows(store, rows)
        store.execute(MOVE, (1, rows[-1][0], rows[-1][-1]))
    assert head(store) == (301, rows[-1][-1])
    found = store.execute("SELECT seq, prev_hash, hash FROM audit WHERE seq > 1 ORDER BY seq")
    assert found.fetchall() == [(r[0], r[7], r[8]) for r in rows]
    append(store)  # and the next row follows the head
    assert head(store)[0] == 302


def test_a_transaction_that_leaves_rows_past_the_head_fails_at_commit(store: Conn) -> None:
    append(store)
    before = snapshot(store)

    def fails_at_commit(rows: list[tuple[Any, ...]], moved_to: int | None, last: int) -> None:
        store.execute("BEGIN")
        insert_rows(store, rows)
        if moved_to is not None:
            moved = rows[moved_to - rows[0][0]]
            store.execute(MOVE, (1, moved[0], moved[-1]))
        with pytest.raises(errors.IntegrityError) as caught:
            store.execute("COMMIT")
        assert caught.value.diag.message_primary == (
            f"a transaction left audit row {last} past the head"
        )
        assert not store.info.transaction_status  # rolled back: idle
        assert snapshot(store) == before

    rows = chain(store, 3)
    fails_at_commit(rows, None, 4)  # the head left where it was
    fails_at_commit(rows, 3, 4)  # moved, but not onto the last row
    fails_at_commit(rows[:1], None, 2)  # one row
    # a single statement outside a transaction commits (and fails) by itself
    with pytest.raises(errors.IntegrityError):
        store.execute(
            "INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash,"
            " hash, db_login) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, session_user)",
            rows[0],
        )
    assert snapshot(store) == before
    # SET CONSTRAINTS ... IMMEDIATE checks at the end of each statement instead
    store.execute("BEGIN")
    store.execute("SET CONSTRAINTS audit_head_covers IMMEDIATE")
    with pytest.raises(errors.IntegrityError):
        insert_rows(store, rows[:1])
    store.execute("ROLLBACK")
    assert snapshot(store) == before


def test_m004_backfills_the_head_from_the_rows_there(pg_url: str) -> None:
    with connect(pg_url) as conn:
        conn.execute("BEGIN")
        pg_migrations.apply_pending(conn)
        conn.execute("ROLLBACK")  # nothing stays
        assert pg_migrations.schema_version(conn) == 0
        conn.execute("BEGIN")
        for statement in pg_migrations.BOOKKEEPING:
            conn.execute(statement)
        for name, statements in pg_migrations.MIGRATIONS[:3]:
            for step in statements:
                assert isinstance(step, str)
                conn.execute(step)
            conn.execute("INSERT INTO _sqlite_migrations VALUES ('colabctl', %s, 'then')", (name,))
        conn.execute("COMMIT")
        assert pg_migrations.schema_version(conn) == 3
        conn.execute(
            "INSERT INTO audit (seq, at, action, details, prev_hash, hash)"
            " VALUES (1, %s, 'a', '{}', %s, 'h1'), (2, %s, 'a', '{}', 'h1', 'h2')",
            (AT, ZEROS, AT),
        )
        conn.execute("BEGIN")
        for step in pg_migrations.MIGRATIONS[3][1]:  # m004 alone: its backfill
            assert isinstance(step, str)
            conn.execute(step)
        conn.execute("COMMIT")
        assert head(conn) == (2, "h2")


# -- owners, review acks -----------------------------------------------------------------------


def test_the_owner_is_never_a_live_member_whichever_way(store: Conn) -> None:
    member = "the owner cannot be a collaborator of their account"
    insert = (
        "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_at,"
        " expires_at) VALUES (1, 1, 1, %s, %s, %s)"
    )
    refused(store, member, insert, ("pending", AT, AT))
    refused(store, member, insert, ("active", AT, AT))
    bob = membership(store, 2)
    old = membership(store, 1, status="revoked")  # history rows of the owner are fine
    refused(store, member, "UPDATE memberships SET user_id = 1 WHERE id = %s", (bob,))
    refused(
        store,
        member,
        "UPDATE memberships SET status = 'active', profile_id = 1 WHERE id = %s",
        (old,),
    )
    refused(
        store,
        "a new owner must first leave their membership",
        "UPDATE accounts SET owner_id = 2 WHERE id = 1",
    )
    store.execute("UPDATE accounts SET owner_id = 3 WHERE id = 1")  # carla is no member
    assert one(store, "SELECT owner_id FROM accounts") == 3


def test_review_acks_are_history(store: Conn) -> None:
    ack = one(
        store,
        "INSERT INTO review_acks (account_id, finding, fingerprint, actor, at, reason)"
        " VALUES (1, 'f', 'fp', %s, %s, 'ok') RETURNING id",
        (ANA, AT),
    )
    assert ack == 1
    message = "review acks are history: append a new one"
    refused(store, message, "UPDATE review_acks SET reason = 'no'")
    refused(store, message, "DELETE FROM review_acks")
    refused(store, message, "TRUNCATE review_acks")


# -- who really acted (m008) ------------------------------------------------------------------


def forged(login: str, claimed: str) -> str:
    return f"an audit row records the database login that writes it: {login}, not {claimed}"


def test_a_row_records_the_login_that_writes_it(store: Conn) -> None:
    sql = (
        "INSERT INTO audit_append (seq, at, action, details, prev_hash, hash, db_login)"
        " VALUES (1, %s, 'x', '{}', %s, 'h', %s)"
    )
    refused(store, forged("postgres", "someone"), sql, (AT, ZEROS, "someone"))
    refused(store, forged("postgres", "none"), sql, (AT, ZEROS, None))
    refused(store, forged("postgres", "Postgres"), sql, (AT, ZEROS, "Postgres"))
    # SET ROLE changes current_user, not the login
    schema = one(store, "SELECT current_schema()")
    store.execute("CREATE ROLE colabctl_setrole_probe")
    store.execute(f"GRANT USAGE ON SCHEMA {schema} TO colabctl_setrole_probe")
    store.execute(
        f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {schema} TO colabctl_setrole_probe"
    )
    try:
        store.execute("SET ROLE colabctl_setrole_probe")
        refused(
            store,
            forged("postgres", "colabctl_setrole_probe"),
            sql,
            (AT, ZEROS, "colabctl_setrole_probe"),
        )
        store.execute("RESET ROLE")
    finally:
        store.execute("DROP OWNED BY colabctl_setrole_probe")
        store.execute("DROP ROLE colabctl_setrole_probe")
    append(store)
    assert one(store, "SELECT db_login FROM audit") == "postgres"


def test_a_bound_login_writes_only_as_its_user(store: Conn, other_login: tuple[str, str]) -> None:
    name, url = other_login
    store.execute("INSERT INTO store_bindings VALUES (%s, 2, %s)", (name, AT))
    with connect(url) as other:
        assert one(other, "SELECT session_user::text") == name
        bound = f"the database login {name} is bound to {BOB}"
        seq, prev = head(other)
        sql = (
            "INSERT INTO audit_append (seq, at, actor, action, details, prev_hash, hash,"
            " db_login) VALUES (%s, %s, %s, 'x', '{}', %s, 'h', %s)"
        )
        refused(other, bound, sql, (seq + 1, AT, ANA, prev, name))
        refused(other, bound, sql, (seq + 1, AT, "BOB@example.com", prev, name))
        refused(other, forged(name, "postgres"), sql, (seq + 1, AT, BOB, prev, "postgres"))
        append(other, actor=BOB, rename=True)
        # (a row with no actor is expiry bookkeeping, the one kind a bound login's row
        # may be without its user: docs/postgres.md)
        with pytest.raises(errors.InsufficientPrivilege):
            append(other, actor=None, rename=True)
    # the store owner is not held to anyone
    append(store, actor=CARLA)
    assert store.execute("SELECT actor, db_login FROM audit ORDER BY seq").fetchall() == [
        (BOB, name),
        (CARLA, "postgres"),
    ]


def _copied_row(conn: Conn, actor: str = ANA, login: str = "someone_else") -> None:
    """A row as `store copy` writes it: another login's, another actor's, as it was."""
    append(conn, actor=actor, db_login=login)


def test_a_copy_writes_rows_as_they_were_only_as_the_owner_with_the_setting_on(
    store: Conn, other_login: tuple[str, str]
) -> None:
    name, url = other_login
    team = f"team_{secrets.token_hex(4)}"
    store.execute(f"CREATE ROLE {team}")  # owns the tables, logs in as nobody
    store.execute(f"ALTER TABLE audit OWNER TO {team}")
    store.execute("INSERT INTO store_bindings VALUES (%s, 2, %s)", (name, AT))
    try:
        with connect(url) as other:
            sql = (
                "INSERT INTO audit_append (seq, at, actor, action, details, prev_hash, hash,"
                " db_login) VALUES (%s, %s, %s, 'x', '{}', %s, 'h', 'someone_else')"
            )

            def attempt(conn: Conn, message: str, *, copying: bool) -> None:
                conn.execute("BEGIN")
                if copying:
                    conn.execute("SET LOCAL colabctl.copy = 'on'")
                seq, prev = head(conn)
                with pytest.raises(errors.IntegrityError) as caught:
                    conn.execute(sql, (seq + 1, AT, ANA, prev))
                conn.execute("ROLLBACK")
                assert caught.value.diag.message_primary == message

            # not the owner: the setting changes nothing
            attempt(other, forged(name, "someone_else"), copying=True)
            attempt(other, forged(name, "someone_else"), copying=False)
            # the owner's member, without the setting: refused too
            store.execute(f"GRANT {team} TO {name}")
            attempt(other, forged(name, "someone_else"), copying=False)
            other.execute("SET colabctl.copy = 'off'")
            attempt(other, forged(name, "someone_else"), copying=False)
            other.execute("RESET colabctl.copy")
            # the owner's member copying: rows of other logins and actors go in as they were
            # (its own binding does not hold for rows it copies)
            other.execute("BEGIN")
            other.execute("SET LOCAL colabctl.copy = 'on'")
            _copied_row(other)
            other.execute("COMMIT")
            # the setting was local to that transaction
            attempt(other, forged(name, "someone_else"), copying=False)
        # a superuser is a member of every role
        store.execute("BEGIN")
        store.execute("SET LOCAL colabctl.copy = 'on'")
        _copied_row(store, actor=CARLA, login="third")
        store.execute("COMMIT")
        rows = store.execute("SELECT actor, db_login FROM audit ORDER BY seq").fetchall()
        assert rows == [(ANA, "someone_else"), (CARLA, "third")]
    finally:
        store.execute("ALTER TABLE audit OWNER TO postgres")
        store.execute(f"DROP ROLE {team}")


def test_a_login_cannot_shadow_the_tables_the_guards_read(
    store: Conn, other_login: tuple[str, str]
) -> None:
    # Temporary tables come first on a search_path that does not name pg_temp: the
    # guards' functions run with their own path (the store's schema, then pg_catalog,
    # then pg_temp), so a login's own store_bindings, audit_head or pg_class are not read.
    name, url = other_login
    store.execute("INSERT INTO store_bindings VALUES (%s, 2, %s)", (name, AT))
    with connect(url) as other:
        seq, prev = head(other)
        sql = (
            "INSERT INTO audit (seq, at, actor, action, details, prev_hash, hash, db_login)"
            " VALUES (%s, %s, %s, 'x', '{}', %s, 'h', %s)"
        )
        other.execute("CREATE TEMP TABLE store_bindings (login text, user_id bigint)")
        bound = f"the database login {name} is bound to {BOB}"
        refused(other, bound, sql, (seq + 1, AT, ANA, prev, name))

        other.execute("CREATE TEMP TABLE pg_class (oid oid, relowner oid)")
        other.execute(
            "INSERT INTO pg_class SELECT oid, %s::regrole FROM pg_catalog.pg_class", (name,)
        )
        other.execute("BEGIN")
        other.execute("SET LOCAL colabctl.copy = 'on'")
        with pytest.raises(errors.IntegrityError) as caught:
            other.execute(sql, (seq + 1, AT, ANA, prev, "someone_else"))
        other.execute("ROLLBACK")
        assert caught.value.diag.message_primary == forged(name, "someone_else")

        other.execute("CREATE TEMP TABLE audit_head (id bigint, seq bigint, hash text)")
        other.execute("INSERT INTO audit_head VALUES (1, 41, 'fake')")
        refused(other, OFF_END, sql, (42, AT, BOB, "fake", name))
        # judged by the real head (which the view's trigger moves, not the temporary one)
        other.execute("SET search_path = pg_temp, " + one(store, "SELECT current_schema()"))
        other.execute("DROP TABLE pg_temp.audit_head")
        append(other, actor=BOB, rename=True)
    assert store.execute("SELECT seq, actor FROM audit").fetchall() == [(seq + 1, BOB)]


def test_only_the_owner_binds_and_unbinds(store: Conn, other_login: tuple[str, str]) -> None:
    name, url = other_login
    schema = one(store, "SELECT current_schema()")
    store.execute("INSERT INTO store_bindings VALUES (%s, 2, %s)", (name, AT))
    store.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {name}")  # granted too much
    message = "only the owner of the store's tables binds or unbinds a login"
    with connect(url) as other:
        # row-level security (m010) lets it change no binding (an UPDATE or DELETE finds
        # none); an INSERT or TRUNCATE meets the trigger (m008) first
        for sql, refusal in (
            ("DELETE FROM store_bindings", None),
            ("UPDATE store_bindings SET user_id = 1", None),
            ("TRUNCATE store_bindings", message),
            ("INSERT INTO store_bindings VALUES ('x', 1, 'then')", message),
        ):
            before = store.execute("SELECT * FROM store_bindings").fetchall()
            if refusal is None:
                assert other.execute(sql).rowcount == 0, sql
            else:
                with pytest.raises(errors.InsufficientPrivilege) as caught:
                    other.execute(sql)
                assert refusal in str(caught.value.diag.message_primary), sql
            assert store.execute("SELECT * FROM store_bindings").fetchall() == before
    store.execute("UPDATE store_bindings SET user_id = 3")  # the owner may
    store.execute("DELETE FROM store_bindings")
    assert store.execute("SELECT count(*) FROM store_bindings").fetchone() == (0,)
