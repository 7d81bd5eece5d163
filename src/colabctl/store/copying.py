"""A whole store, table by table: what `store info` counts and `store copy` moves
(docs/commands.md, "store copy").

`TABLES` is the one list of colabctl's tables, in the order a copy writes them (a table
after those it refers to) with the columns it copies; tests/store/test_copying.py holds it
against the schema of a fresh store on each engine, so a migration that adds a table or
a column cannot be missed by a copy. What differs between the engines (streaming a big
table, the schema's own catalog, where a store is) stays in this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colabctl.errors import Conflict
from colabctl.i18n import _
from colabctl.store import audit, db, engine, pg_security
from colabctl.store.sql import Connection

if TYPE_CHECKING:
    from colabctl.store.engine import Target
    from colabctl.store.sql import Store

CHUNK_ROWS = 2000  # rows read and written per statement batch: memory stays flat


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # what orders its rows (its primary key)
    # The audit rows are appended with their chain as it is (store/audit.insert_chained),
    # which moves the head over them as each engine's guards require.
    chained: bool = False

    def select_sql(self) -> str:
        order = ", ".join(self.key)
        return f"SELECT {', '.join(self.columns)} FROM {self.name} ORDER BY {order}"

    def insert_sql(self) -> str:
        marks = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})"


TABLES: tuple[Table, ...] = (
    Table("users", ("id", "email", "email_key", "skeleton", "name", "created_at"), ("id",)),
    Table(
        "accounts",
        ("id", "slug", "name", "owner_id", "tax_country", "tax_id", "created_at"),
        ("id",),
    ),
    Table("profiles", ("id", "account_id", "name", "description", "title", "created_at"), ("id",)),
    Table("profile_permissions", ("profile_id", "permission"), ("profile_id", "permission")),
    Table(
        "memberships",
        (
            "id",
            "account_id",
            "user_id",
            "profile_id",
            "status",
            "invited_by",
            "invited_at",
            "expires_at",
            "responded_at",
            "ended_at",
            "access_until",
            "profile_name",
        ),
        ("id",),
    ),
    Table(
        "transfers",
        (
            "id",
            "account_id",
            "from_id",
            "to_id",
            "keep_as",
            "status",
            "offered_at",
            "expires_at",
            "closed_at",
        ),
        ("id",),
    ),
    Table(
        "review_acks",
        ("id", "account_id", "finding", "fingerprint", "actor", "at", "reason"),
        ("id",),
    ),
    Table("store_bindings", ("login", "user_id", "bound_at"), ("login",)),
    Table(
        "audit",
        (
            "seq",
            "at",
            "actor",
            "account",
            "action",
            "target",
            "details",
            "prev_hash",
            "hash",
            "db_login",
        ),
        ("seq",),
        chained=True,
    ),
)

# The tables a store keeps about itself, which each engine writes on its own and a copy
# leaves alone: the schema version and the migrations that ran (the destination's own
# `transaction()` writes them), and the audit head (moved by every copied audit row).
BOOKKEEPING = frozenset({"audit_head", "_sqlite_migrations", "colabctl_schema"})
# colabctl's views: where audit rows go in (audit_append), what both engines read through
# (m010), and, on PostgreSQL, what its row-level security policies read through.
VIEWS = frozenset({"audit_append", *pg_security.VIEWS, *pg_security.HELPER_VIEWS})


# -- reading ------------------------------------------------------------------------------


def counts(conn: Connection, *, everything: bool = True) -> dict[str, int]:
    """Rows per table, in copy order: one count(*) a table. Without EVERYTHING, the rows
    this connection may read (a team login's on a server, `store info`): its policies
    decide, and audit rows are counted where it reads them, in the audit_log view."""
    found: dict[str, int] = {}
    for table in TABLES:
        source = "audit_log" if table.name == "audit" and not everything else table.name
        found[table.name] = conn.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    return found


def first_nonempty(conn: Connection) -> str | None:
    """The first table holding any row (None: the store is empty); one probe a table."""
    for table in TABLES:
        if conn.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is not None:
            return table.name
    return None


def rows(
    conn: Connection, table: Table, size: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """TABLE's rows in key order, SIZE (default CHUNK_ROWS) at a time, streamed (on
    PostgreSQL inside a transaction: the source's snapshot), so a big table is never all
    in memory."""
    return conn.stream(table.select_sql(), size or CHUNK_ROWS)


def insert(conn: Connection, table: Table, chunk: list[tuple[Any, ...]]) -> None:
    if table.chained:
        audit.insert_chained(conn, chunk)
    else:
        conn.executemany(table.insert_sql(), chunk)


def refuse_foreign(schema: dict[str, set[str]] | None, location: str) -> None:
    """Conflict (4) when a store's SCHEMA (its `live_schema()`) holds tables or views that
    are not colabctl's (another program's database, or a PostgreSQL schema in use for
    something else): a copy would write colabctl's schema in among them."""
    ours = {t.name for t in TABLES} | BOOKKEEPING | VIEWS
    foreign = sorted(set(schema or {}) - ours)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise Conflict(
            _(
                "DST %(store)s is not empty: it holds tables that are not colabctl's"
                " (%(tables)s); nothing was copied"
            )
            % {"store": location, "tables": shown},
            hint=_("copy into a new file, or into an empty PostgreSQL database or schema"),
        )


# -- where a store is ---------------------------------------------------------------------


@contextmanager
def destination(target: Target) -> Iterator[Store]:
    """TARGET opened to be written, closed afterwards. A SQLite file this creates is
    removed again (with its side files) when the block fails: a failed copy leaves
    nothing behind. (On PostgreSQL the rolled-back transaction took everything back.)"""
    created = isinstance(target, Path) and not target.exists()
    if isinstance(target, Path) and not created:
        # read-only, before opening it to write, which would switch another program's
        # database to WAL
        refuse_foreign(db.peek_schema(target), str(target))
    store = engine.open_for_write(target)
    try:
        yield store
    except BaseException:
        store.close()
        if created:
            assert isinstance(target, Path)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
