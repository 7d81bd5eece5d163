"""The store on a PostgreSQL server (docs/postgres.md): the same schema, rules and
transactions as the SQLite file, for a team whose machines and CI share one store.

Core speaks one SQL dialect (SQLite's placeholders `?` and `:name`, `group_concat`); the
connection wrapper here translates it, so core never branches on the engine. psycopg is
imported only when a PostgreSQL URL is given: reads on SQLite never load it.

Writers are serialised by a transaction-scoped advisory lock taken first thing in every
writing transaction (READ COMMITTED): the equivalent of SQLite's BEGIN IMMEDIATE, and
what keeps the audit chain from forking.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from colabctl.errors import StoreFault

if TYPE_CHECKING:
    import psycopg

URL_PREFIXES = ("postgresql://", "postgres://")
LOCK_WAIT_S = 15.0
# pg_advisory_xact_lock(key1, key2): colabctl's writers, keyed per store (database + schema)
LOCK_CLASS = 0x636F6C61  # "cola"

# SQLite-dialect tokens worth rewriting; string literals are matched first so that nothing
# inside one is touched (but a literal % must still be doubled for psycopg).
_TOKENS = re.compile(
    r"'(?:[^']|'')*'|::|\?|(?<![:\w]):([A-Za-z_]\w*)|%|\bgroup_concat\(", re.IGNORECASE
)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def is_url(location: str) -> bool:
    return location.startswith(URL_PREFIXES)


def translate(sql: str) -> str:
    """SQLite-dialect SQL as PostgreSQL with psycopg placeholders."""

    def rewrite(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "::":
            return token
        if token == "?":
            return "%s"
        if match.group(1):
            return f"%({match.group(1)})s"
        if token == "%":
            return "%%"
        return "string_agg("

    return _TOKENS.sub(rewrite, sql)


def where(url: str) -> str:
    """HOST/DB of a URL, for messages: never the user's password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:
        return "the PostgreSQL server (unparsable URL)"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"{host}{port}/{info.get('dbname') or '(default database)'}"


class Cursor:
    """The part of sqlite3.Cursor that core uses: fetchone, fetchall, iteration, lastrowid."""

    def __init__(self, cursor: psycopg.Cursor[Any], lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Connection:
    """The part of sqlite3.Connection that core uses, over a psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any], id_tables: frozenset[str]) -> None:
        self.raw = conn
        self._id_tables = id_tables

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        text = translate(sql)
        insert = _INSERT.match(sql)
        returning = (
            insert is not None
            and insert.group(1).lower() in self._id_tables
            and "returning" not in sql.lower()
        )
        if returning:
            text += " RETURNING id"
        cursor = self.raw.execute(text, params or None)
        if returning:
            row = cursor.fetchone()
            return Cursor(cursor, row[0] if row else None)
        return Cursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql), list(rows))

    def close(self) -> None:
        self.raw.close()


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (transactions are begun explicitly, as on SQLite),
    or exit 7 naming host and database only."""
    try:
        import psycopg
    except ImportError as exc:
        raise StoreFault(
            "a PostgreSQL store needs the psycopg driver, which is not installed",
            hint="pip install 'colabctl[postgres]'",
        ) from exc
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise fault(exc, url) from None


def fault(exc: BaseException, url: str) -> StoreFault:
    """A psycopg error as one line naming host and database (never the password)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(url).get("password")
    except Exception:
        password = None
    if password:
        first = first.replace(str(password), "***")
    return StoreFault(f"the store at {where(url)} cannot be used: {first}")


@contextmanager
def locked_transaction(conn: psycopg.Connection[Any], url: str) -> Iterator[None]:
    """BEGIN (READ COMMITTED), then colabctl's writer lock, waited for up to LOCK_WAIT_S in
    short tries (so Ctrl-C is seen promptly); COMMIT at the end, ROLLBACK on any error."""
    import psycopg

    conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        key = conn.execute(
            "SELECT hashtext(current_database() || '/' || current_schema())"
        ).fetchone()
        assert key is not None
        while True:
            got = conn.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_CLASS, key[0])
            ).fetchone()
            if got and got[0]:
                break
            if time.monotonic() > deadline:
                raise StoreFault(
                    f"the store at {where(url)} is locked by another writer"
                    f" (waited {LOCK_WAIT_S:.0f} s)",
                    hint="try again; nothing was changed",
                )
            time.sleep(0.02)
        yield
    except BaseException:
        if conn.info.transaction_status != 0:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            raise fault(exc, url) from None
