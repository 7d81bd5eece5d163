"""Opening the store: path, pragmas, schema version, and the one write transaction.

Reads use the bare `sqlite3` connection so that the hot `can` path never
imports sqlite-utils (~80 ms); writes get a `sqlite_utils.Database` on the
same connection, inside `transaction()`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from colabctl.errors import StoreFault
from colabctl.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

BUSY_TIMEOUT_S = 15.0
WAL_RETRY_S = 15.0


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("colabctl")) / "colabctl.db"


def resolve_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The store's path, and whether it is the default one (whose folder we may create)."""
    if explicit:
        return Path(explicit), False
    env = os.environ.get("COLABCTL_DB")
    if env:
        return Path(env), False
    return default_path(), True


class Store:
    """An open store. `conn` for reads; `transaction()` for the one write of a command."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, behind: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.behind = behind  # schema older than this colabctl's: migrate in transaction()
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False, recursive_triggers=False)
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """BEGIN IMMEDIATE ... COMMIT: the only way anything writes.

        IMMEDIATE takes the write lock up front, so a read-check-write can
        never race another process (a deferred BEGIN fails with "database is
        locked" at the upgrade, whatever the busy timeout).
        """
        # Build the Database (importing sqlite-utils, ~80 ms) before taking the write
        # lock, not while holding it: every other writer would wait for the import.
        db = self.db
        migrations = _migrations() if self.behind else None
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            # An older store is brought forward in this same transaction: the command's
            # change and the schema it needs commit together, or neither does. (Re-read
            # under the lock: another process may have migrated it first.)
            if migrations is not None and _schema_version(self.conn, self.path) < SCHEMA_VERSION:
                migrations.apply(db)  # its own BEGIN becomes a savepoint in ours
            self.behind = False
            yield db
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """One read transaction, so a multi-query answer sees one state."""
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreFault(
            f"{path} is not a colabctl store ({exc})",
            hint="point --db or COLABCTL_DB at a colabctl store, or at a new file",
        ) from exc
    if version > SCHEMA_VERSION:
        raise StoreFault(
            f"{path} was written by a newer colabctl (schema {version}, "
            f"this colabctl knows {SCHEMA_VERSION}); it was left untouched",
            hint="upgrade colabctl to use this store",
        )
    return version


def _is_blank(conn: sqlite3.Connection) -> bool:
    count: int = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return count == 0


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL takes a lock that ignores the busy timeout:
    # several first commands at once on a new file need a retry.
    deadline = time.monotonic() + WAL_RETRY_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _create_file(path: Path, may_create_folder: bool) -> None:
    if may_create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise StoreFault(
            f"cannot create the store {path}: the folder {path.parent} does not exist",
            hint="create the folder first, or point --db at an existing one",
        )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: fine
    except OSError as exc:
        raise StoreFault(f"cannot create the store {path}: {exc.strerror}") from exc
    os.close(fd)


def open_for_read(path: Path) -> Store | None:
    """Open an existing store to read. None when there is none: reads never create one.

    An older store is migrated forward (any command may do that); a newer one
    is refused untouched.
    """
    if not path.exists():
        return None
    if path.is_dir():
        raise StoreFault(f"{path} is a folder, not a colabctl store")
    conn = _open_conn(path)
    try:
        behind = _schema_version(conn, path) < SCHEMA_VERSION
        if behind and _is_blank(conn):
            conn.close()
            return None
    except BaseException:
        conn.close()
        raise
    store = Store(conn, path, behind=behind)
    if behind:
        with store.transaction():
            pass  # the migration is all this transaction does
    return store


def open_for_write(path: Path, *, may_create_folder: bool = False) -> Store:
    """Open (creating if needed, mode 0600) a store to write; its schema is brought up
    to date by the first `transaction()`, together with the command's change."""
    if path.is_dir():
        raise StoreFault(f"{path} is a folder, not a colabctl store")
    if not path.exists():
        _create_file(path, may_create_folder)
    conn = _open_conn(path)
    try:
        version = _schema_version(conn, path)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _enable_wal(conn)
    except BaseException:
        conn.close()
        raise
    # A new or older store is migrated inside the command's own transaction.
    return Store(conn, path, behind=version < SCHEMA_VERSION)


def _open_conn(path: Path) -> sqlite3.Connection:
    try:
        return _connect(path)
    except sqlite3.DatabaseError as exc:
        raise StoreFault(f"cannot open the store {path}: {exc}") from exc


def _migrations() -> Migrations:
    from colabctl.store.migrations import migrations

    return migrations


def open_empty() -> Store:
    """An empty store in memory: what a read sees when there is no store file."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    store = Store(conn, Path(":memory:"), behind=True)
    with store.transaction():
        pass  # creates the schema
    return store
