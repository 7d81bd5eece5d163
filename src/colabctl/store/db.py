"""The store in a SQLite file: path, pragmas, schema version, the one write transaction,
and SQLite's answers to the questions of store/sql.Store and store/sql.Connection.

Reads use the `sqlite3` connection itself (a subclass, `SqliteConnection`, that adds the
engine's answers) so that the hot `can` path never imports sqlite-utils (~80 ms);
migrations get a `sqlite_utils.Database` on the same connection, inside `transaction()`.
SQLite's errors become colabctl's here (`fault`), at the edges of a store's use: its
opening, its transaction and its snapshot.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from colabctl.errors import ColabError, InternalError, StoreFault
from colabctl.i18n import _
from colabctl.store import sql
from colabctl.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

# core asks for the ids it inserts with RETURNING (docs/storage.md), SQLite 3.35's
SQLITE_NEEDED = (3, 35, 0)
BEGIN_ATTEMPT_MS = 100  # one attempt at the write lock; Ctrl-C is seen between attempts
WAL_RETRY_S = 15.0


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("colabctl")) / "colabctl.db"


# SQLite's words for a statement it cannot run: a bug in colabctl's SQL (exit 8), never a
# fault of the user's store.
_SQL_BUGS = (
    "no such table",
    "no such column",
    "no such function",
    "has no column named",
    "syntax error",
    "incomplete input",
    "unrecognized token",
    "wrong number of arguments",
    "ambiguous column",
    "misuse of",
    "values for",
)


def fault(exc: sqlite3.Error) -> ColabError:
    """A SQLite error as colabctl's: a statement SQLite cannot run is a bug (8); a busy,
    full, read-only or broken store is the store's (7). The one place SQLite's errors are
    read (PostgreSQL's: store/postgres.fault)."""
    text = str(exc)
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError) or (
        isinstance(exc, sqlite3.OperationalError) and any(bug in text for bug in _SQL_BUGS)
    ):
        return InternalError(_("SQLite cannot run colabctl's SQL (%(reason)s)") % {"reason": text})
    said = {"reason": text}
    if "locked" in text or "busy" in text:
        return StoreFault(
            _("the store is locked by another process (%(reason)s)") % said,
            hint=_("try again; nothing was changed"),
        )
    if "full" in text:
        return StoreFault(_("the store is full (%(reason)s); nothing was changed") % said)
    if "readonly" in text or "read-only" in text:
        return StoreFault(
            _("the store cannot be written (%(reason)s); nothing was changed") % said,
            hint=_("check the file's permissions"),
        )
    return StoreFault(_("store error: %(reason)s; nothing was changed") % said)


@contextmanager
def _errors_mapped() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise fault(exc) from exc


class SqliteConnection(sqlite3.Connection):
    """sqlite3's connection (its `execute` untouched: the hot path stays in C), with
    SQLite's answers to store/sql.Connection's questions."""

    moves_head_once = False  # each audit row moves the head (m004's triggers): see audit.py

    def schema_version(self) -> int:
        version: int = self.execute("PRAGMA user_version").fetchone()[0]
        return version

    def has_table(self, name: str) -> bool:
        found = self.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def has_trigger(self, name: str) -> bool:
        found = self.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def columns(self, table: str) -> set[str]:
        return {row[1] for row in self.execute("SELECT * FROM pragma_table_info(?)", (table,))}

    def live_schema(self) -> dict[str, set[str]]:
        names = [
            row[0]
            for row in self.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {name: self.columns(name) for name in names}

    def stream(self, sql_text: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        cursor = self.execute(sql_text)
        while chunk := cursor.fetchmany(size):
            yield [tuple(row) for row in chunk]


class SqliteStore:
    """An open SQLite store (store/sql.Store). `conn` for reads; `transaction()` for the
    one write of a command."""

    engine: ClassVar[str] = "sqlite"
    has_logins: ClassVar[bool] = False  # a file trusts whoever can open it
    db_login: str | None = None  # no database logins on a file: audit rows record none
    bound_email: str | None = None
    bound_user_id: int | None = None
    store_owner = True  # whoever opens the file may do anything (docs/postgres.md)

    def __init__(
        self, conn: SqliteConnection, path: Path, *, behind: bool = False, read_only: bool = False
    ) -> None:
        self.conn = conn
        self.path = path
        self.behind = behind  # schema older than this colabctl's: migrate in transaction()
        self.read_only = read_only  # the immutable fallback on read-only media: never written
        self._db: Database | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def db(self) -> Database:
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False, recursive_triggers=False)
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT: the only way anything writes.

        IMMEDIATE takes the write lock up front, so a read-check-write can
        never race another process (a deferred BEGIN fails with "database is
        locked" at the upgrade, whatever the busy timeout).
        """
        if self.read_only:
            raise _read_only_media(self.path)
        # Build the Database (importing sqlite-utils, ~80 ms) before taking the write
        # lock, not while holding it: every other writer would wait for the import.
        migrations = _migrations() if self.behind else None
        if migrations is not None:
            _ = self.db
        try:
            with _errors_mapped():
                _begin_immediate(self.conn)
                # An older store is brought forward in this same transaction: the
                # command's change and the schema it needs commit together, or neither
                # does. (Re-read under the lock: another process may have migrated it.)
                if (
                    migrations is not None
                    and _schema_version(self.conn, self.path) < SCHEMA_VERSION
                ):
                    migrations.apply(self.db)  # its own BEGIN becomes a savepoint in ours
                self.behind = False
                yield
                sql.commit(self.conn)
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[SqliteStore]:
        """One read transaction, so a multi-query answer sees one state."""
        with _errors_mapped():
            self.conn.execute("BEGIN")
            try:
                yield self
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def accept_copied_audit(self) -> None:
        """`store copy`: let this transaction append audit rows as they were written
        elsewhere, their db_login included. Nothing to allow on a file: its rows are
        whatever the writer appends (store/postgres.PgStore's is checked by the server)."""

    def place(self) -> tuple[Any, ...]:
        """The file's device and inode (a link or another spelling of the path is the
        same file)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return ("sqlite", os.path.abspath(self.path))
        return ("sqlite", stat.st_dev, stat.st_ino)

    def owns_tables(self) -> bool:
        return True  # whoever can open the file

    def login_exists(self, login: str) -> bool:
        return False  # a file has no logins

    def grant(self, login: str) -> None:
        """Nothing to grant: a file has no logins (`store bind` refuses a file first)."""

    def revoke(self, login: str) -> None:
        """Nothing to take back: a file has no logins."""

    def owner_work(self, what: str) -> None:
        """Whole-store work (WHAT) is for whoever may open the file: anyone here."""

    # -- questions about the whole store (store/questions.py, loaded only to ask) -------

    def slug_taken(self, slug: str) -> bool:
        from colabctl.store import questions

        return questions.slug_taken(self.conn, slug)

    def registered(self, emails: Collection[str]) -> set[str]:
        from colabctl.store import questions

        return questions.registered(self.conn, emails)

    def lookalikes(self, new: Sequence[tuple[str, str]]) -> set[str]:
        from colabctl.store import questions

        return questions.lookalikes(self.conn, new)

    def user_ids(self, keys: Collection[str]) -> dict[str, int]:
        from colabctl.store import questions

        return questions.user_ids(self.conn, keys)

    def next_ids(self, *tables: str) -> tuple[int, ...]:
        from colabctl.store import questions

        return questions.next_ids(self.conn, tables)

    def add_invitees(
        self, users: Sequence[tuple[Any, ...]], members: Sequence[tuple[Any, ...]]
    ) -> None:
        from colabctl.store import questions

        questions.add_invitees(self.conn, users, members)


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to the busy budget for the write lock in short attempts.

    SQLite's busy handler sleeps in C, where Python cannot run its SIGINT handler: one
    15 s wait would hold Ctrl-C for 15 s. Between attempts a pending interrupt raises.
    """
    deadline = time.monotonic() + sql.BUSY_TIMEOUT_S
    conn.execute(f"PRAGMA busy_timeout = {BEGIN_ATTEMPT_MS}")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(sql.BUSY_TIMEOUT_S * 1000)}")


def _connect(path: Path) -> SqliteConnection:
    conn = sqlite3.connect(
        path, timeout=sql.BUSY_TIMEOUT_S, isolation_level=None, factory=SqliteConnection
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(sql.BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA user_version").fetchone()  # a WAL store opens its -shm here
    except BaseException:
        conn.close()
        raise
    return conn


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreFault(
            _("%(file)s is not a colabctl store (%(reason)s)") % {"file": path, "reason": exc},
            hint=_("point --db or COLABCTL_DB at a colabctl store, or at a new file"),
        ) from exc
    if version > SCHEMA_VERSION:
        raise StoreFault(
            _(
                "%(file)s was written by a newer colabctl (schema %(schema)d, this colabctl"
                " knows %(known)d); it was left untouched"
            )
            % {"file": path, "schema": version, "known": SCHEMA_VERSION},
            hint=_("upgrade colabctl to use this store"),
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
            _("cannot create the store %(file)s: the folder %(folder)s does not exist")
            % {"file": path, "folder": path.parent},
            hint=_("create the folder first, or point --db at an existing one"),
        )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: fine
    except OSError as exc:
        raise StoreFault(
            _("cannot create the store %(file)s: %(reason)s")
            % {"file": path, "reason": exc.strerror}
        ) from exc
    os.close(fd)


def open_for_read(path: Path, *, migrate: bool = True) -> SqliteStore | None:
    """Open an existing store to read. None when there is none: reads never create one.

    An older store is migrated forward (any command may do that) unless MIGRATE is false
    (`audit verify` judges a store as it is); a newer one is refused untouched, and so is
    one on a network filesystem.
    """
    from colabctl.store.mounts import refuse_network_filesystem

    refuse_network_filesystem(path)
    if not path.exists():
        return None
    if path.is_dir():
        raise _folder(path)
    conn, read_only = _open_readable(path)
    try:
        with _errors_mapped():
            behind = _schema_version(conn, path) < SCHEMA_VERSION
            if behind and _is_blank(conn):
                conn.close()
                return None
        if behind and read_only and migrate:
            raise StoreFault(
                _(
                    "%(file)s is on read-only media and was written by an older colabctl: it"
                    " must be brought up to date before it can be read, and cannot be here"
                )
                % {"file": path},
                hint=_("copy it to a folder you can write, and point --db at the copy"),
            )
    except BaseException:
        conn.close()
        raise
    store = SqliteStore(conn, path, behind=behind, read_only=read_only)
    if behind and migrate:
        with store.transaction():
            pass  # the migration is all this transaction does
    return store


def _cannot_open(exc: sqlite3.Error) -> bool:
    """SQLite's answer when it cannot create or write the -shm/-wal files a WAL store
    needs, e.g. on read-only media."""
    text = str(exc)
    return "unable to open" in text or "readonly" in text or "read-only" in text


def _writable_folder(path: Path) -> bool:
    return os.access(path.parent, os.W_OK)  # False on read-only media, even for root


def _open_readable(path: Path) -> tuple[SqliteConnection, bool]:
    """A connection to read PATH, and whether it is the immutable read-only fallback.

    Reading a WAL store needs its -shm file, which SQLite cannot create on read-only
    media (a backup, a CI artifact). There, and only when no -wal file lies beside it
    (whose changes an immutable open would not see), the store is opened immutable:
    no locks, no side files, and never written (docs/storage.md).
    """
    try:
        return _open_conn(path), False
    except StoreFault as fault:
        cause = fault.__cause__
        if not isinstance(cause, sqlite3.OperationalError) or not _cannot_open(cause):
            raise
        if _writable_folder(path):
            raise
        if Path(f"{path}-wal").exists():
            raise StoreFault(
                _(
                    "cannot read the store %(file)s: its folder cannot be written, and the -wal"
                    " file beside it holds changes that only a writable store can fold in"
                )
                % {"file": path},
                hint=_(
                    "copy the store with its -wal file to a folder you can write, and"
                    " point --db at the copy"
                ),
            ) from cause
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, factory=SqliteConnection)
    except sqlite3.Error as exc:
        raise _unopened(path, exc) from exc
    conn.row_factory = sqlite3.Row
    return conn, True


def _read_only_media(path: Path) -> StoreFault:
    return StoreFault(
        _(
            "the store %(file)s is read-only (read-only media, or a folder you cannot write):"
            " it can be read, not changed; nothing was changed"
        )
        % {"file": path},
        hint=_("copy it to a folder you can write to change it"),
    )


def _unopened(path: Path, exc: sqlite3.Error) -> StoreFault:
    return StoreFault(
        _("cannot open the store %(file)s: %(reason)s") % {"file": path, "reason": exc}
    )


def _folder(path: Path) -> StoreFault:
    return StoreFault(_("%(file)s is a folder, not a colabctl store") % {"file": path})


def open_for_write(path: Path, *, may_create_folder: bool = False) -> SqliteStore:
    """Open (creating if needed, mode 0600) a store to write; its schema is brought up
    to date by the first `transaction()`, together with the command's change. A store on
    a network filesystem (or to be created in a folder there) is refused."""
    from colabctl.store.mounts import refuse_network_filesystem

    if sqlite3.sqlite_version_info < SQLITE_NEEDED:
        raise StoreFault(
            _(
                "this Python's SQLite is %(version)s; colabctl writes need %(needed)s or newer"
                " (INSERT ... RETURNING)"
            )
            % {"version": sqlite3.sqlite_version, "needed": ".".join(map(str, SQLITE_NEEDED))},
            hint=_("use a Python built with a newer SQLite (python.org's and Debian 12's are)"),
        )
    refuse_network_filesystem(path)
    if path.is_dir():
        raise _folder(path)
    if not path.exists():
        _create_file(path, may_create_folder)
    conn = _open_conn(path)
    try:
        with _errors_mapped():
            version = _schema_version(conn, path)
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                _enable_wal(conn)
    except BaseException:
        conn.close()
        raise
    # A new or older store is migrated inside the command's own transaction.
    return SqliteStore(conn, path, behind=version < SCHEMA_VERSION)


def _open_conn(path: Path) -> SqliteConnection:
    try:
        return _connect(path)
    except sqlite3.OperationalError as exc:
        if _cannot_open(exc) and not _writable_folder(path):
            raise _read_only_media(path) from exc
        raise _unopened(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _unopened(path, exc) from exc


SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """Whether PATH starts with SQLite's header (False for anything unreadable)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def peek_schema(path: Path) -> dict[str, set[str]] | None:
    """The tables and views of the SQLite file at PATH with their columns, read without
    writing anything; None when it is no SQLite file or cannot be read (opening it to
    write then names the problem)."""
    if not is_sqlite(path):
        return None
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, factory=SqliteConnection
        )
    except sqlite3.Error:
        return None
    try:
        return conn.live_schema()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def first_audit_action(path: Path) -> tuple[bool, str | None]:
    """(blank, action): whether the SQLite file at PATH holds no schema at all, and the
    action of its first audit row (None if it has none), read without writing anything.
    Raises StoreFault when it cannot be read."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=sql.BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreFault(f"cannot read {path}: {exc}") from exc
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not names:
            return True, None
        if "audit" not in names:
            return False, None
        row = conn.execute("SELECT action FROM audit ORDER BY seq LIMIT 1").fetchone()
        return False, (row[0] if row else None)
    except sqlite3.Error as exc:
        raise StoreFault(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()


def _migrations() -> Migrations:
    from colabctl.store.migrations import migrations

    return migrations


def open_empty() -> SqliteStore:
    """An empty store in memory: what a read sees when there is no store file."""
    conn = sqlite3.connect(":memory:", isolation_level=None, factory=SqliteConnection)
    conn.row_factory = sqlite3.Row
    store = SqliteStore(conn, Path(":memory:"), behind=True)
    with store.transaction():
        pass  # creates the schema
    return store
