"""What core and the store layer may use of a connection, on either engine.

Core writes one SQL dialect, SQLite's (`?` and `:name` placeholders, `group_concat`,
`json_each(?)`), and runs it through `Connection`: a `sqlite3.Connection` on a SQLite
store, or store/postgres.Connection, which translates it (docs/postgres.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

Params = Sequence[Any] | Mapping[str, Any]


class Cursor(Protocol):
    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Any: ...


def schema_version(conn: Connection) -> int:
    """The schema version the store records: SQLite's `PRAGMA user_version`, PostgreSQL's
    one-row `colabctl_schema` (store/pg_migrations.py)."""
    if isinstance(conn, sqlite3.Connection):
        sql = "PRAGMA user_version"
    else:
        sql = "SELECT version FROM colabctl_schema"
    version: int = conn.execute(sql).fetchone()[0]
    return version
