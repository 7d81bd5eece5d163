"""The store as core and the store layer see it, whichever engine holds it: `Store` and
its `Connection` (docs/storage.md, "One interface, two engines").

Core writes one SQL dialect, SQLite's (`?` and `:name` placeholders, `group_concat(x,
sep)`, `json_each(?)`), and runs it with `Connection.execute`: on a SQLite store as it
is, on PostgreSQL translated by store/pgsql.py, which refuses (exit 8) what it does not
know. Whatever differs between the engines beyond that (the schema's own catalog,
streaming a big table, where a store is, who may bind logins) is a method or a property
here, answered by each engine (store/db.py, store/postgres.py): nothing outside them asks
which engine a store is on. Questions about the whole store are methods of `Store` too.

Both engines answer with the same Python types: a comparison is 1 or 0, a sum an int
(store/postgres.py's loaders), and NULLs sort where the SQL says (NULLS FIRST/LAST).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any, ClassVar, Protocol

Params = Sequence[Any] | Mapping[str, Any]

# The busy budget, one for both engines: how long a writer waits for the write lock
# (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), and on PostgreSQL how long any
# one statement may run, before exit 7.
BUSY_TIMEOUT_S = 15.0

# Set by the colabctl program (colabctl.__main__.run): once a write has committed, ignore
# SIGINT for the rest of the run. Off for in-process use (tests, a library caller).
IGNORE_INTERRUPTS_AFTER_COMMIT = False


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection to the store: core's SQL through `execute`, and what each engine
    answers in its own way."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Any: ...

    def schema_version(self) -> int:
        """The schema version the store records."""
        ...

    def has_table(self, name: str) -> bool:
        """Whether the store holds a table NAME."""
        ...

    def columns(self, table: str) -> set[str]:
        """The columns of TABLE as the store has them (empty if there is no such table)."""
        ...

    def has_trigger(self, name: str) -> bool:
        """Whether the store holds a trigger NAME."""
        ...

    @property
    def moves_head_once(self) -> bool:
        """Whether the schema lets the audit head move over many rows at once
        (store/audit.py): PostgreSQL's; SQLite's moves one row at a time."""
        ...

    def live_schema(self) -> dict[str, set[str]]:
        """Every table and view of the store with its columns, colabctl's or not."""
        ...

    def stream(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a query, SIZE at a time, never all in memory at once."""
        ...


class Store(Protocol):
    """An open store (store/db.SqliteStore, store/postgres.PgStore).

    Capabilities are class-level, so they can be asked before a store is opened
    (store/engine.store_class). To answer a new question about the whole store, add a
    method here and to both engines."""

    engine: ClassVar[str]  # "sqlite" or "postgresql": what `store info` shows, nothing more
    has_logins: ClassVar[bool]  # database logins that can be bound to users (store bind)

    @property
    def conn(self) -> Connection: ...

    @property
    def db_login(self) -> str | None:
        """The database login in use, recorded in audit rows (None on a file)."""
        ...

    @property
    def bound_email(self) -> str | None:
        """The user that login is bound to (`store bind`), if any."""
        ...

    @property
    def bound_user_id(self) -> int | None:
        """That user's id, if the login is bound (on a server, what it may then write is
        only that user's: docs/postgres.md)."""
        ...

    @property
    def store_owner(self) -> bool:
        """Whether this login may do whole-store work (read every row): the login that
        owns a server's tables, anyone who may open a file."""
        ...

    @property
    def location(self) -> str:
        """Where the store is, for messages (a URL's password hidden)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """The one write transaction of a command: the store's writer lock first thing,
        migrations if the schema is behind, COMMIT at the end, or nothing at all."""
        ...

    def snapshot(self) -> AbstractContextManager[Any]:
        """One read transaction, so a multi-query answer sees one state."""
        ...

    def close(self) -> None: ...

    def accept_copied_audit(self) -> None:
        """`store copy`: let this transaction append audit rows as they were written
        elsewhere (db_login included)."""
        ...

    def place(self) -> tuple[Any, ...]:
        """What makes two open stores the same one, however they were reached."""
        ...

    def owns_tables(self) -> bool:
        """Whether this connection's login owns colabctl's tables (a file: whoever
        opens it)."""
        ...

    def login_exists(self, login: str) -> bool:
        """Whether LOGIN is a database login of the store's server (none on a file)."""
        ...

    def grant(self, login: str) -> None:
        """`store bind`: LOGIN gets exactly what its user's commands need."""
        ...

    def revoke(self, login: str) -> None:
        """`store unbind`: every privilege LOGIN held on the store, taken back."""
        ...

    def owner_work(self, what: str) -> None:
        """Exit 5 unless this login is the store owner: WHAT reads every row."""
        ...

    # -- questions about the whole store (a server's team login reads only its own rows,
    # so each is asked of the store, which answers it and nothing more) ------------------

    def slug_taken(self, slug: str) -> bool:
        """Whether any account has SLUG."""
        ...

    def registered(self, emails: Collection[str]) -> set[str]:
        """Which of EMAILS are registered users' addresses, exactly as given."""
        ...

    def lookalikes(self, new: Sequence[tuple[str, str]]) -> set[str]:
        """Of NEW's (skeleton, identity key) pairs, the skeletons a registered user with
        another key has: which given address collides, never with whom."""
        ...

    def user_ids(self, keys: Collection[str]) -> dict[str, int]:
        """The user id of each of KEYS (identity keys) that is registered."""
        ...

    def next_ids(self, *tables: str) -> tuple[int, ...]:
        """The next id of each of TABLES, for a bulk insert that knows its ids ahead
        (the writer lock keeps them free until COMMIT)."""
        ...

    def add_invitees(
        self, users: Sequence[tuple[Any, ...]], members: Sequence[tuple[Any, ...]]
    ) -> None:
        """New USERS (id, email, key, skeleton, created_at), each registered together with
        its invitation, and the pending invitations MEMBERS (id, account, user, profile,
        inviter, invited_at, expires_at, access_until)."""
        ...


def _hold_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT while COMMIT runs: the commit decides the outcome, not the interrupt."""


def commit(conn: Connection) -> None:
    """COMMIT, on either engine, such that an interrupt can no longer undo the outcome
    once it is done.

    A SIGINT that lands during COMMIT (in C) would otherwise raise KeyboardInterrupt just
    after it, and the command would report "nothing was changed" about a change that
    committed. So SIGINT is held around the COMMIT, and afterwards, in the colabctl
    program, ignored at the OS level (Python restores a Python-level handler's default
    action at shutdown, but leaves SIG_IGN alone); in-process callers get their
    handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        conn.execute("COMMIT")  # signals are only ever handled on the main thread
        return
    previous = signal.signal(signal.SIGINT, _hold_interrupt)
    try:
        conn.execute("COMMIT")
    finally:
        committed = not conn.in_transaction
        if committed and IGNORE_INTERRUPTS_AFTER_COMMIT:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(
                signal.SIGINT, previous if previous is not None else signal.default_int_handler
            )
