"""The store file (docs/config.md, docs/storage.md): where it lives, how it is created and opened,
its schema version, and the one BEGIN IMMEDIATE transaction every write runs in.

Engines: SQLite only: the store file itself (its folder, modes, WAL, BEGIN IMMEDIATE). A
store on PostgreSQL: tests/store/test_pg_store.py and test_pg_schema.py."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
import pytest
from sqlite_utils import Database
from support import ACME, BOB, CARLA, CNPJ, OWNER, Cli, FakeClock, dump, failure, side

from colabctl.errors import StoreFault
from colabctl.store import sql as store_sql
from colabctl.store.db import (
    SqliteStore,
    default_path,
    open_for_read,
    open_for_write,
)
from colabctl.store.engine import resolve
from colabctl.store.migrations import migrations
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite")

SIDE_FILES = ("-wal", "-shm", "-journal")


def store_files(path: Path) -> list[Path]:
    """The store and every SQLite side file of it that exists."""
    return [p for p in (path, *(side(path, s) for s in SIDE_FILES)) if p.exists()]


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# -- where the store lives ---------------------------------------------------------------


def test_db_option_beats_the_environment(cli: Cli, tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other.db"
    assert os.environ["COLABCTL_DB"] == str(db_path)
    result = cli("--db", str(other), "login", OWNER)
    assert result.exit_code == 0, result.stderr
    assert other.exists()
    assert not db_path.exists()
    # the user lives in --db's store, and only there
    assert json.loads(cli("--db", str(other), "whoami", "--json").stdout)["user"] == OWNER
    assert cli("whoami", "--json").exit_code == 5
    assert not db_path.exists()


def test_resolve_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLABCTL_DB", str(tmp_path / "env.db"))
    assert resolve(str(tmp_path / "flag.db")) == (tmp_path / "flag.db", False)
    assert resolve(None) == (tmp_path / "env.db", False)
    # a URL is kept as it is (a Path would fold its //)
    url = "postgresql://ana@db.example.com/acme"
    assert resolve(url) == (url, False)
    monkeypatch.setenv("COLABCTL_DB", url)
    assert resolve(None) == (url, False)
    monkeypatch.delenv("COLABCTL_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path, is_default = resolve(None)
    assert is_default
    assert path == Path(platformdirs.user_data_dir("colabctl")) / "colabctl.db"
    assert path == default_path()
    assert path.is_relative_to(tmp_path / "xdg")


def test_without_db_or_env_the_platformdirs_store_is_used(
    cli: Cli, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLABCTL_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = Path(platformdirs.user_data_dir("colabctl")) / "colabctl.db"
    assert expected.is_relative_to(tmp_path / "xdg")
    assert not expected.parent.exists()
    # a read on the default path creates neither the store nor its folder
    for args in (["account", "list"], ["whoami"], ["can", OWNER, "products.view"]):
        assert cli("--as", OWNER, *args).exit_code in (1, 5)
    assert not expected.parent.exists()
    result = cli("login", OWNER)
    assert result.exit_code == 0, result.stderr
    assert expected.is_file()
    assert not db_path.exists()
    assert json.loads(cli("whoami", "--json").stdout)["user"] == OWNER


# -- creating and opening ----------------------------------------------------------------


def test_a_new_store_has_mode_0600(cli: Cli, db_path: Path) -> None:
    with umask(0o022):  # the usual umask would leave a plain create at 0644
        result = cli("login", OWNER)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_the_write_ahead_log_is_private_too(db_path: Path) -> None:
    with umask(0o022):
        store = open_for_write(db_path)
        try:
            with store.transaction():
                store.conn.execute(
                    "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?)",
                    (OWNER, OWNER, "2026-11-02T09:00:00Z"),
                )
            wal = side(db_path, "-wal")
            assert wal.exists()  # WAL mode keeps it while the store is open
            assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0
        finally:
            store.close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def pragmas(store: SqliteStore) -> dict[str, object]:
    def one(name: str) -> object:
        return store.conn.execute(f"PRAGMA {name}").fetchone()[0]

    return {
        name: one(name)
        for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout", "user_version")
    }


def test_pragmas_of_an_open_store(db_path: Path) -> None:
    writer = open_for_write(db_path)
    try:
        with writer.transaction():
            pass  # the first transaction creates the schema
        found = pragmas(writer)
    finally:
        writer.close()
    reader = open_for_read(db_path)
    assert reader is not None
    try:
        found_on_read = pragmas(reader)
    finally:
        reader.close()
    for seen in (found, found_on_read):
        assert str(seen["journal_mode"]).lower() == "wal"
        assert seen["foreign_keys"] == 1
        assert seen["synchronous"] == 2  # FULL
        assert isinstance(seen["busy_timeout"], int)
        assert seen["busy_timeout"] >= 10_000
        assert seen["user_version"] == SCHEMA_VERSION
    # WAL is a property of the file: any connection sees it
    plain = sqlite3.connect(db_path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        plain.close()


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    store = open_for_write(db_path)
    try:
        with pytest.raises(StoreFault, match="FOREIGN KEY"), store.transaction():
            store.conn.execute(
                "INSERT INTO accounts (slug, name, owner_id, created_at) VALUES (?, ?, ?, ?)",
                ("acme", "Acme", 4242, "2026-11-02T09:00:00Z"),
            )
    finally:
        store.close()
    assert 'INSERT INTO "accounts"' not in "\n".join(dump(db_path))


def test_schema_version_and_no_pending_migration(cli: Cli, db_path: Path) -> None:
    assert cli("login", OWNER).exit_code == 0
    known = migrations.pending(Database(memory=True))
    # each migration is named mNNN_ and sets user_version to NNN; the last is the schema's
    # (numbers are reserved per branch, so a gap before the merge is expected)
    numbers = [int(m.name[1:4]) for m in known]
    assert numbers == sorted(set(numbers)) and numbers[-1] == SCHEMA_VERSION
    store = open_for_read(db_path)
    assert store is not None
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert migrations.pending(store.db) == []
        assert [m.name for m in migrations.applied(store.db)] == [m.name for m in known]
    finally:
        store.close()


# -- reads never create a store ----------------------------------------------------------

READS = [
    ["account", "list"],
    ["account", "list", "--json"],
    ["account", "show", ACME],
    ["whoami"],
    ["whoami", "--json"],
    ["permissions"],
    ["permissions", "--json"],
    ["preset", "list"],
    ["can", OWNER, "products.view", "-a", ACME],
    ["can", OWNER, "products.view", "-a", ACME, "--json"],
    ["who-can", "products.view", "-a", ACME],
    ["matrix", "-a", ACME],
    ["profile", "list", "-a", ACME],
    ["profile", "show", "soporte", "-a", ACME],
    ["collaborator", "list", "-a", ACME],
    ["audit", "log"],
    ["audit", "verify"],
]


@pytest.mark.parametrize("actor", [None, OWNER])
@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a[:2]))
def test_read_commands_never_create_a_store(
    cli: Cli, tmp_path: Path, db_path: Path, args: list[str], actor: str | None
) -> None:
    before = sorted(tmp_path.iterdir())
    env = {"COLABCTL_USER": actor} if actor else None
    result = cli(*args, env=env)
    assert "Traceback" not in result.stderr
    assert result.exit_code not in (2, 7), result.stderr
    assert store_files(db_path) == []
    assert sorted(tmp_path.iterdir()) == before


def test_read_commands_never_create_an_explicit_db(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    for args in (["account", "list"], ["permissions"], ["can", OWNER, "products.view"]):
        cli("--db", str(missing), "--as", OWNER, *args)
        assert store_files(missing) == []


def test_can_on_a_missing_store_is_no_unknown_account(cli: Cli, db_path: Path) -> None:
    # an actor named (with none at all, `can` is 5 before any lookup: docs/commands.md)
    result = cli("--as", OWNER, "can", OWNER, "products.view", "-a", ACME, "--json")
    assert result.exit_code == 1, result.stderr
    answer = json.loads(result.stdout)
    assert answer["allowed"] is False
    assert [r["reason"] for r in answer["results"]] == ["unknown-account"]
    assert store_files(db_path) == []


def test_a_failed_write_on_a_missing_store_writes_no_data(cli: Cli, db_path: Path) -> None:
    """Decision (the docs are silent): a failing first write may leave the migrated, empty
    store it opened behind, but never a row of its own."""
    result = cli("account", "create", ACME, "--name", "Acme")  # nobody logged in
    failure(result, 5)
    rows = [line for line in dump(db_path) if line.startswith("INSERT INTO")]
    migrated = ('INSERT INTO "_sqlite_migrations"', 'INSERT INTO "audit_head" VALUES(1,0,')
    assert all(line.startswith(migrated) for line in rows), rows


# -- a store from a newer colabctl -------------------------------------------------------


@pytest.fixture(params=["wal", "delete"])
def newer_store(request: pytest.FixtureRequest, cli: Cli, db_path: Path) -> Path:
    assert cli("login", OWNER).exit_code == 0
    assert (
        cli(
            "account", "create", ACME, "--name", "Acme", "--tax-id", CNPJ, "--country", "BR"
        ).exit_code
        == 0
    )
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA journal_mode = {request.param}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    finally:
        conn.close()
    return db_path


def file_bytes(path: Path) -> dict[str, bytes]:
    """The store's bytes and its WAL's (an absent WAL reads as empty: it holds nothing)."""
    wal = side(path, "-wal")
    return {"db": path.read_bytes(), "wal": wal.read_bytes() if wal.exists() else b""}


NEWER_READS = [
    ["account", "list", "--json"],
    ["account", "show", ACME],
    ["whoami"],
    ["can", OWNER, "products.view", "-a", ACME],
    ["profile", "list", "-a", ACME],
]
NEWER_WRITES = [
    ["login", OWNER],
    ["login", BOB],
    ["account", "create", "otra", "--name", "Otra"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
]


@pytest.mark.parametrize("args", NEWER_READS + NEWER_WRITES, ids=lambda a: " ".join(a[:2]))
def test_a_newer_store_is_refused_untouched(cli: Cli, newer_store: Path, args: list[str]) -> None:
    before = file_bytes(newer_store)
    error = failure(cli("--as", OWNER, *args), 7)[0]
    assert "newer" in error
    assert file_bytes(newer_store) == before
    version = sqlite3.connect(newer_store)
    try:
        assert version.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    finally:
        version.close()


def test_opening_a_newer_store_raises_store_fault(newer_store: Path) -> None:
    before = file_bytes(newer_store)
    for opener in (open_for_read, open_for_write):
        with pytest.raises(StoreFault) as caught:
            opener(newer_store)
        assert caught.value.exit_code == 7
    assert file_bytes(newer_store) == before


def test_a_file_that_is_not_sqlite_is_refused_untouched(cli: Cli, db_path: Path) -> None:
    db_path.write_bytes(b"these are my notes, not a database\n" * 200)
    before = db_path.read_bytes()
    for args in (["account", "list"], ["login", OWNER]):
        failure(cli("--as", OWNER, *args), 7)
        assert db_path.read_bytes() == before


# -- one BEGIN IMMEDIATE per write -------------------------------------------------------


Trace = list[str]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Callable[[], Trace]:
    """Every SQL statement run on a connection to the store, in order."""
    statements: Trace = []
    real_connect = sqlite3.connect

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(database, *args, **kwargs)  # type: ignore[call-overload]
        if str(database) not in (":memory:", "") and Path(str(database)) == db_path:
            conn.set_trace_callback(lambda sql: statements.append(" ".join(sql.split())))
        assert isinstance(conn, sqlite3.Connection)
        return conn

    def take() -> Trace:
        taken = list(statements)
        statements.clear()
        return taken

    monkeypatch.setattr(sqlite3, "connect", connect)
    return take


def kind(statement: str) -> str:
    return statement.split(" ", 1)[0].upper()


WRITING = {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"}


def assert_one_transaction(trace: Trace, *, committed: bool) -> None:
    begins = [i for i, s in enumerate(trace) if kind(s) == "BEGIN"]
    ends = [i for i, s in enumerate(trace) if kind(s) in ("COMMIT", "END", "ROLLBACK")]
    assert [trace[i].upper() for i in begins] == ["BEGIN IMMEDIATE"], trace
    assert len(ends) == 1, trace
    assert kind(trace[ends[0]]) == ("COMMIT" if committed else "ROLLBACK"), trace
    writes = [i for i, s in enumerate(trace) if kind(s) in WRITING]
    assert all(begins[0] < i < ends[0] for i in writes), trace
    if committed:
        assert writes, "a successful write that wrote nothing?"


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """acme-cursos with soporte and tecnico, and bob invited (pending) as soporte."""
    assert cli("login", BOB).exit_code == 0
    assert cli("login", OWNER).exit_code == 0
    result = cli("invite", BOB, "--profile", "soporte", "-a", legal_account)
    assert result.exit_code == 0, result.stderr
    return legal_account


WRITES = [
    ["login", OWNER, "--name", "Ana S."],
    ["login", CARLA],
    ["account", "create", "otra", "--name", "Otra"],
    ["account", "set-tax-id", ACME, "12.ABC.345/01DE-35", "--country", "BR"],
    ["profile", "create", "financiero", "--preset", "financiero", "-a", ACME],
    ["profile", "edit", "soporte", "--add", "receipts.send", "-a", ACME],
    ["profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME],
    ["invite", CARLA, "--profile", "tecnico", "-a", ACME],
]


@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a[:3]))
def test_a_write_runs_in_one_begin_immediate(
    cli: Cli, team: str, traced: Callable[[], Trace], args: list[str]
) -> None:
    traced()
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert_one_transaction(traced(), committed=True)


FAILING_WRITES = [
    (["account", "create", ACME, "--name", "Again"], 4),
    (["profile", "delete", "soporte", "-a", ACME], 4),
    (["profile", "delete", "soporte", "--reassign", "nope", "-a", ACME], 3),
    (["profile", "create", "soporte", "--preset", "soporte", "-a", ACME], 4),
    (["--as", BOB, "profile", "create", "otro", "--preset", "soporte", "-a", ACME], 3),
]


@pytest.mark.parametrize(("args", "code"), FAILING_WRITES, ids=lambda a: str(a))
def test_a_failing_write_rolls_its_one_transaction_back(
    cli: Cli, team: str, traced: Callable[[], Trace], db_path: Path, args: list[str], code: int
) -> None:
    before = dump(db_path)
    traced()
    failure(cli(*args), code)
    assert_one_transaction(traced(), committed=False)
    assert dump(db_path) == before


def test_a_failed_command_undoes_what_it_wrote_before_failing(
    cli: Cli, team: str, clock: FakeClock, db_path: Path
) -> None:
    """Every write first records invitations whose time has passed; when the command
    then fails, that bookkeeping must go too: the store is exactly as it was."""
    clock.advance(days=8)  # bob's 7-day invitation is now past its expiry
    before = dump(db_path)
    assert cli("collaborator", "list", "-a", team, "--json").exit_code == 0  # a read
    assert dump(db_path) == before
    failure(cli("account", "create", team, "--name", "Again"), 4)
    assert dump(db_path) == before
    # a command that succeeds does record the expiry
    assert cli("account", "create", "otra", "--name", "Otra").exit_code == 0
    assert dump(db_path) != before
    statuses = {
        row["user"]: row["status"]
        for row in json.loads(cli("collaborator", "list", "-a", team, "--json").stdout)
    }
    assert statuses == {BOB: "expired"}


def test_transaction_rolls_back_on_error(db_path: Path) -> None:
    store = open_for_write(db_path)
    try:
        with store.transaction():
            pass  # the first transaction creates the schema
        with pytest.raises(RuntimeError), store.transaction():
            store.conn.execute(
                "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?)",
                (OWNER, OWNER, "2026-11-02T09:00:00Z"),
            )
            raise RuntimeError("the command failed after writing")
        assert not store.conn.in_transaction
        assert store.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    finally:
        store.close()


def test_a_failed_first_write_leaves_no_schema_behind(cli: Cli, db_path: Path) -> None:
    """The schema is created in the command's own transaction: a first command that
    fails (nobody is logged in) leaves a blank file, which reads as no store at all."""
    result = cli("account", "create", "acme-cursos", "--name", "Acme")
    assert result.exit_code == 5
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    finally:
        conn.close()
    listed = cli("--as", OWNER, "permissions", "--json")
    assert listed.exit_code == 0
    assert cli("--as", OWNER, "account", "list").exit_code == 5  # not registered: no store


def test_a_locked_store_is_a_store_error_and_reads_go_on(
    cli: Cli, legal_account: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "BUSY_TIMEOUT_S", 0.2)  # keep the wait short
    before = dump(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process is writing
        error = failure(cli("account", "create", "otra", "--name", "Otra"), 7)[0]
        assert "locked" in error
        # WAL: readers are not blocked by a writer
        listed = cli("account", "list", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert [a["slug"] for a in json.loads(listed.stdout)] == [legal_account]
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert dump(db_path) == before


def test_a_sqlite_too_old_for_returning_is_a_store_error_before_anything_is_written(
    cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Core asks for the ids it inserts with INSERT ... RETURNING (SQLite 3.35): an older
    library is said plainly (7), never a syntax error halfway through a write (8)."""
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    error, hint = failure(cli("login", OWNER), 7)
    assert hint is not None and "newer SQLite" in hint
    assert "SQLite is 3.34.1" in error and "3.35.0 or newer" in error, error
    assert not db_path.exists()
