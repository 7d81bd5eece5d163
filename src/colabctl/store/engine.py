"""Where the store lives: a `postgresql://` (or `postgres://`) URL puts it on a
PostgreSQL server (store/postgres.py); anything else is the path of a SQLite file
(store/db.py), the default (docs/postgres.md, docs/storage.md).

This module decides, and imports psycopg's side only for a URL: a `can` on SQLite never
loads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from colabctl.store import db

if TYPE_CHECKING:
    from colabctl.store.sql import Store

URL_PREFIXES = ("postgresql://", "postgres://")

# Where a store is: a SQLite file's path, or a PostgreSQL URL.
Target: TypeAlias = Path | str


def is_url(value: str | os.PathLike[str]) -> bool:
    return isinstance(value, str) and value.startswith(URL_PREFIXES)


def store_class(target: Target) -> type[Store]:
    """The kind of store at TARGET, whose class-level capabilities (`has_logins`) can be
    asked before it is opened, or without opening it at all."""
    if isinstance(target, Path):
        return db.SqliteStore
    from colabctl.store.postgres import PgStore

    return PgStore


def resolve(explicit: str | os.PathLike[str] | None = None) -> tuple[Target, bool]:
    """The store (--db, else $COLABCTL_DB, else the default file), and whether it is the
    default file (whose folder we may create)."""
    value = os.fspath(explicit) if explicit else os.environ.get("COLABCTL_DB")
    if value:
        return (value if is_url(value) else Path(value)), False
    return db.default_path(), True


def describe(target: Target) -> str:
    """TARGET for a message: a path as it is, a URL without its password."""
    if isinstance(target, Path):
        return str(target)
    from colabctl.store.postgres import hide_password

    return hide_password(target)


def open_for_read(target: Target, *, migrate: bool = True) -> Store | None:
    """The store to read, or None when there is none (reads never create one). An older
    schema is brought forward first, unless MIGRATE is false (`audit verify`)."""
    if isinstance(target, Path):
        return db.open_for_read(target, migrate=migrate)
    from colabctl.store.postgres import open_store

    return open_store(target, create=False, migrate=migrate)


def open_for_write(target: Target, *, may_create_folder: bool = False) -> Store:
    """The store to write, created if needed; its schema is brought up to date by the
    first `transaction()`, together with the command's change."""
    if isinstance(target, Path):
        return db.open_for_write(target, may_create_folder=may_create_folder)
    from colabctl.store.postgres import open_store

    store = open_store(target, create=True)
    assert store is not None
    return store


def store_file(target: Target) -> Path | None:
    """The SQLite file TARGET names (what `-o` must never overwrite), if it is one."""
    return target if isinstance(target, Path) else None
