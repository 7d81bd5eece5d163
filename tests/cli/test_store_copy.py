"""`colabctl store copy SRC DST` (docs/commands.md, "store copy"): the whole store, from
any engine to any engine, into an empty DST, in one transaction that is checked against
SRC before it commits; every failure leaves DST as it was."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pgcluster import PASSWORD
from support import ACME, BOB, GENESIS, OWNER, Cli, dump, failure, ok

from colabctl.core import demo, stores
from colabctl.errors import ExitCode
from colabctl.store import audit, copying, engine
from colabctl.store.db import SqliteConnection, open_for_write
from colabctl.store.engine import open_for_read

# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def src(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "src.db"
    shutil.copyfile(demo_template, path)
    return path


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every colabctl table (all its columns, whatever TABLES says), ordered
    by key, read with a plain sqlite3 connection; plus the head record."""
    conn = sqlite3.connect(path)
    try:
        found = {
            t.name: conn.execute(f"SELECT * FROM {t.name} ORDER BY {', '.join(t.key)}").fetchall()
            for t in copying.TABLES
        }
        found["audit_head"] = conn.execute("SELECT * FROM audit_head").fetchall()
        return found
    finally:
        conn.close()


def pg_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """`sqlite_rows` on PostgreSQL: the columns of each table are in the same order on
    both engines (a migration adds them at the end on both)."""
    import psycopg

    with psycopg.connect(url) as conn:
        found = {
            t.name: conn.execute(f"SELECT * FROM {t.name} ORDER BY {', '.join(t.key)}").fetchall()
            for t in copying.TABLES
        }
        found["audit_head"] = conn.execute("SELECT id, seq, hash FROM audit_head").fetchall()
        return found


def pg_dump(url: str) -> list[tuple[str, int]]:
    """(relation, rows) of everything in the URL's schema: what "unchanged" means there."""
    import psycopg

    with psycopg.connect(url) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " ORDER BY tablename"
            )
        ]
        found = []
        for name in names:
            row = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
            assert row is not None
            found.append((name, int(row[0])))
        return found


def copied(cli: Cli, src: str | Path, dst: str | Path) -> str:
    """Run a copy that must succeed; its one line (stderr), with nothing on stdout."""
    result = ok(cli("store", "copy", str(src), str(dst)))
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def head_of(path: Path) -> tuple[int, str]:
    conn = sqlite3.connect(path, factory=SqliteConnection)
    try:
        return audit.head(conn)
    finally:
        conn.close()


def break_chain(path: Path) -> None:
    """Rewrite one audit row's details behind the chain's back (dropping the trigger
    that guards it): the chain no longer verifies at that row."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET details = '{\"forged\":true}' WHERE seq = 3")
    finally:
        conn.close()


# -- SQLite to SQLite -----------------------------------------------------------------------


def test_a_copy_holds_every_row_and_the_same_chain(cli: Cli, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "copy.db"
    before = sqlite_rows(src)
    line = copied(cli, src, dst)
    seq, digest = head_of(src)
    total = sum(len(rows) for name, rows in before.items() if name != "audit_head")
    assert line == f"copied {total} rows (audit head {seq}:{digest[:12]}...) from {src} to {dst}"
    assert sqlite_rows(dst) == before
    assert sqlite_rows(src) == before  # SRC only read
    assert head_of(dst) == (seq, digest) and seq > 0
    ok(cli("--db", str(dst), "audit", "verify"))
    # a working store: the next write chains onto the copied head
    ok(cli("--db", str(dst), "--as", demo.OWNER, "account", "show", "acme-cursos"))
    ok(cli("--db", str(dst), "login", "newcomer@example.com"))
    assert head_of(dst)[0] == seq + 1
    ok(cli("--db", str(dst), "audit", "verify"))


def test_every_table_of_the_demo_is_copied(src: Path) -> None:
    """The demo store holds rows in every table but two: the round trips below cover
    the rest of the schema (review acks come from `review ack`, bindings from PostgreSQL)."""
    held = {name for name, rows in sqlite_rows(src).items() if rows}
    assert held >= {t.name for t in copying.TABLES} - {"review_acks", "store_bindings"}


def deleted_with_history(cli: Cli) -> None:
    """bob declined soporte, then soporte was deleted: his row keeps the name."""
    ok(cli("invite", BOB, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BOB, "decline", ACME))
    ok(cli("profile", "delete", "soporte", "-a", ACME))


def kept_names(cli: Cli, store: str | Path) -> list[tuple[str, bool]]:
    found = json.loads(
        ok(cli("--db", str(store), "--as", OWNER, "collaborator", "list", "--json")).stdout
    )
    return [(row["profile"], row["profile_deleted"]) for row in found]


def test_the_name_a_history_row_keeps_is_copied(
    cli: Cli, legal_account: str, db_path: Path | str, tmp_path: Path
) -> None:
    """From either engine into a SQLite file: the name, and that its profile is gone."""
    deleted_with_history(cli)
    dst = tmp_path / "copy.db"
    copied(cli, db_path, dst)
    assert kept_names(cli, dst) == kept_names(cli, db_path) == [("soporte", True)]
    (name,) = {row[-1] for row in sqlite_rows(dst)["memberships"]}
    assert name == "soporte"
    ok(cli("--db", str(dst), "audit", "verify"))


def test_json_result(cli: Cli, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "copy.db"
    result = ok(cli("store", "copy", str(src), str(dst), "--json"))
    found = json.loads(result.stdout)
    seq, digest = head_of(src)
    counts = {name: len(rows) for name, rows in sqlite_rows(src).items() if name != "audit_head"}
    assert found == {
        "rows": sum(counts.values()),
        "counts": counts,
        "head": {"seq": seq, "hash": digest},
        "source": {"engine": "sqlite", "location": str(src)},
        "destination": {"engine": "sqlite", "location": str(dst)},
    }


def test_an_empty_existing_store_is_a_fine_destination(cli: Cli, src: Path, tmp_path: Path) -> None:
    """A store with the schema and no rows (e.g. opened by a read that migrated it)."""
    dst = tmp_path / "empty.db"
    store = open_for_write(dst)
    with store.transaction():
        pass
    store.close()
    copied(cli, src, dst)
    assert sqlite_rows(dst) == sqlite_rows(src)


def test_big_tables_are_copied_in_chunks(
    cli: Cli, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copying, "CHUNK_ROWS", 4)  # profile_permissions: 12 chunks
    seen: list[tuple[str, int, int]] = []
    dst = tmp_path / "copy.db"
    done = stores.copy(src, dst, progress=lambda *step: seen.append(step))
    assert sqlite_rows(dst) == sqlite_rows(src)
    total = done.rows
    assert seen[0] == ("users", 0, total) and seen[-1] == ("audit", total, total)
    assert len(seen) > total // 4  # one call per chunk written
    assert [step[1] for step in seen] == sorted(step[1] for step in seen)


def test_on_a_pipe_no_progress_is_drawn(cli: Cli, src: Path, tmp_path: Path) -> None:
    # CliRunner's stderr is no terminal: only the result line (checked by `copied`)
    line = copied(cli, src, tmp_path / "copy.db")
    assert "\r" not in line and "\x1b" not in line


# -- refused: DST as it was -------------------------------------------------------------------


def test_a_destination_that_is_not_empty_is_refused(cli: Cli, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "other.db"
    ok(cli("--db", str(dst), "login", "someone@example.com"))
    before = dump(dst)
    error, hint = failure(cli("store", "copy", str(src), str(dst)), ExitCode.CONFLICT)
    assert error == f"error: DST {dst} is not empty (it holds users rows): nothing was copied"
    assert hint is not None and "empty" in hint
    assert dump(dst) == before


def test_a_destination_holding_only_audit_rows_is_not_empty(
    cli: Cli, src: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "other.db"
    store = open_for_write(dst)
    with store.transaction():
        audit.append(
            store.conn,
            at="2026-01-01T00:00:00Z",
            actor=None,
            account=None,
            action="note",
            target=None,
        )
    store.close()
    before = dump(dst)
    error, _ = failure(cli("store", "copy", str(src), str(dst)), ExitCode.CONFLICT)
    assert "holds audit rows" in error
    assert dump(dst) == before


def test_a_database_of_another_program_is_not_empty(cli: Cli, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "app.db"
    conn = sqlite3.connect(dst)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = dump(dst)
    error, _ = failure(cli("store", "copy", str(src), str(dst)), ExitCode.CONFLICT)
    assert "holds tables that are not colabctl's (invoices)" in error
    assert dump(dst) == before
    conn = sqlite3.connect(dst)
    try:  # not even switched to WAL: it was only read
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_a_missing_source_is_3_and_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    dst = tmp_path / "copy.db"
    error, hint = failure(
        cli("store", "copy", str(tmp_path / "nope.db"), str(dst)), ExitCode.NOT_FOUND
    )
    assert hint is not None and "colabctl demo" in hint
    assert error == f"error: no store at {tmp_path / 'nope.db'}"
    assert not (tmp_path / "nope.db").exists()
    assert not dst.exists()


@pytest.mark.parametrize("spelling", ["same", "dotted", "link"])
def test_a_store_onto_itself_is_refused(cli: Cli, src: Path, tmp_path: Path, spelling: str) -> None:
    """However DST is spelt: the same path, another path to the same file, a link to it."""
    dst = {"same": str(src), "dotted": f"{tmp_path}/./src.db", "link": str(tmp_path / "ln.db")}
    if spelling == "link":
        os.symlink(src, tmp_path / "ln.db")
    before = dump(src)
    error, _ = failure(cli("store", "copy", str(src), dst[spelling]), ExitCode.CONFLICT)
    assert "SRC and DST are the same store" in error
    assert dump(src) == before


def test_a_source_whose_chain_is_broken_is_refused(cli: Cli, src: Path, tmp_path: Path) -> None:
    """Copying would carry the break along (and m004's triggers refuse the forged row
    halfway): refused up front with 7, naming the row, nothing written."""
    break_chain(src)
    dst = tmp_path / "copy.db"
    error, hint = failure(cli("store", "copy", str(src), str(dst)), ExitCode.STORE)
    assert error.startswith(f"error: the audit chain of {src} is broken at seq 3")
    assert hint is not None and "audit verify" in hint
    assert not dst.exists()


def test_a_destination_folder_that_does_not_exist_is_7(cli: Cli, src: Path, tmp_path: Path) -> None:
    failure(cli("store", "copy", str(src), str(tmp_path / "no" / "copy.db")), ExitCode.STORE)
    assert not (tmp_path / "no").exists()


# -- a copy that does not match its source rolls back ------------------------------------------


@pytest.fixture(params=["new", "empty"])
def dst(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A destination that does not exist yet, or an existing empty store."""
    path = tmp_path / "copy.db"
    if request.param == "empty":
        store = open_for_write(path)
        with store.transaction():
            pass
        store.close()
    before = dump(path)
    yield path
    assert dump(path) == before  # every test below fails: DST is as it was
    if request.param == "new":
        assert not path.exists() and not Path(f"{path}-wal").exists()


def _dropping_last_row(of: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = copying.insert

    def lossy(conn: Any, table: copying.Table, chunk: list[tuple[Any, ...]]) -> None:
        real(conn, table, chunk[:-1] if table.name == of else chunk)

    monkeypatch.setattr(copying, "insert", lossy)


def test_a_lost_row_rolls_everything_back(
    cli: Cli, src: Path, dst: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dropping_last_row("memberships", monkeypatch)
    error, _ = failure(cli("store", "copy", str(src), str(dst)), ExitCode.STORE)
    assert f"the copy into {dst} does not match its source: memberships:" in error
    assert "rolled back" in error


def test_a_lost_audit_row_rolls_everything_back(
    cli: Cli, src: Path, dst: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last audit row lost: the chain still verifies, but ends short of SRC's head."""
    _dropping_last_row("audit", monkeypatch)
    error, _ = failure(cli("store", "copy", str(src), str(dst)), ExitCode.STORE)
    seq, digest = head_of(src)
    assert f"its audit head is {seq - 1}:" in error and f"SRC's {seq}:{digest[:12]}" in error


def test_a_miscount_rolls_everything_back(
    cli: Cli, src: Path, dst: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the cause: DST's count checked inside the transaction differs from SRC's."""
    real = copying.counts
    calls = []

    def counting(conn: Any, **how: Any) -> dict[str, int]:
        found = real(conn, **how)
        calls.append(found)
        if len(calls) == 2:  # the second count is DST's, after the rows went in
            found["transfers"] += 1
        return found

    monkeypatch.setattr(copying, "counts", counting)
    error, _ = failure(cli("store", "copy", str(src), str(dst)), ExitCode.STORE)
    assert "transfers: SRC holds 1 rows, the copy 2" in error


# -- PostgreSQL --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_round_trip_through_postgresql(cli: Cli, src: Path, tmp_path: Path, pg_url: str) -> None:
    """SQLite -> PostgreSQL -> SQLite: the same rows in every table, the same audit rows
    (seq, hashes, db_login), the same head; and no output ever shows the password."""
    before = sqlite_rows(src)
    there = copied(cli, src, pg_url)
    assert PASSWORD not in there and "***" in there
    assert pg_rows(pg_url) == before
    back = tmp_path / "back.db"
    line = copied(cli, pg_url, back)
    assert PASSWORD not in line
    assert line.startswith(f"copied {sum(len(r) for r in before.values()) - 1} rows")
    assert sqlite_rows(back) == before
    ok(cli("--db", str(back), "audit", "verify"))
    ok(cli("--db", pg_url, "audit", "verify"))


@pytest.mark.postgres
@pytest.mark.engines("sqlite")  # (the source: a file, through a server and back)
def test_the_name_a_history_row_keeps_goes_through_postgresql(
    cli: Cli, legal_account: str, db_path: Path, tmp_path: Path, pg_url: str
) -> None:
    deleted_with_history(cli)
    before = sqlite_rows(db_path)
    copied(cli, db_path, pg_url)
    assert pg_rows(pg_url) == before
    assert kept_names(cli, pg_url) == [("soporte", True)]
    back = tmp_path / "back.db"
    copied(cli, pg_url, back)
    assert sqlite_rows(back) == before
    ok(cli("--db", pg_url, "audit", "verify"))


@pytest.mark.postgres
def test_rows_written_by_other_logins_keep_their_login(
    cli: Cli, src: Path, tmp_path: Path, pg_url: str
) -> None:
    """Audit rows whose db_login is not the copying login's (written on another server
    by others) go in as they are: the copy's transaction allows it (colabctl.copy), and
    the rows' hashes, which cover db_login, still verify."""
    store = open_for_write(src)
    with store.transaction():
        audit.append_many(
            store.conn,
            [("2026-11-03T10:00:00Z", demo.OWNER, None, "note", None, {"why": "test"})],
            db_login="someone_else",
        )
    store.close()
    copied(cli, src, pg_url)
    rows = pg_rows(pg_url)
    assert rows["audit"][-1][-1] == "someone_else"
    assert rows == sqlite_rows(src)
    back = tmp_path / "back.db"
    copied(cli, pg_url, back)
    assert sqlite_rows(back) == sqlite_rows(src)


@pytest.mark.postgres
def test_without_the_copy_setting_the_server_refuses_other_logins_rows(
    cli: Cli, src: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What accept_copied_audit is for: without it the audit trigger refuses a row
    carrying another login, and the whole copy rolls back (7), schema included."""
    from colabctl.store.postgres import PgStore

    store = open_for_write(src)
    with store.transaction():
        audit.append_many(
            store.conn,
            [("2026-11-03T10:00:00Z", demo.OWNER, None, "note", None, None)],
            db_login="someone_else",
        )
    store.close()
    monkeypatch.setattr(PgStore, "accept_copied_audit", lambda self: None)
    error, _ = failure(cli("store", "copy", str(src), pg_url), ExitCode.STORE)
    assert PASSWORD not in error
    assert pg_dump(pg_url) == []


@pytest.mark.postgres
def test_a_postgresql_destination_that_is_not_empty_is_refused(
    cli: Cli, src: Path, pg_url: str
) -> None:
    ok(cli("--db", pg_url, "login", "someone@example.com"))
    before = pg_dump(pg_url)
    result = cli("store", "copy", str(src), pg_url)
    error, _ = failure(result, ExitCode.CONFLICT)
    assert "is not empty (it holds users rows)" in error
    assert PASSWORD not in result.stderr
    assert pg_dump(pg_url) == before


@pytest.mark.postgres
def test_a_failed_copy_into_postgresql_leaves_the_schema_empty(
    cli: Cli, src: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dropping_last_row("profile_permissions", monkeypatch)
    result = cli("store", "copy", str(src), pg_url)
    error, _ = failure(result, ExitCode.STORE)
    assert "profile_permissions: SRC holds" in error
    assert PASSWORD not in result.stderr
    assert pg_dump(pg_url) == []  # not even the schema: it was in the same transaction


@pytest.mark.postgres
def test_postgresql_onto_itself_and_a_missing_postgresql_source(
    cli: Cli, src: Path, pg_url: str, tmp_path: Path
) -> None:
    result = cli("store", "copy", pg_url, str(tmp_path / "copy.db"))
    error, _ = failure(result, ExitCode.NOT_FOUND)  # an empty schema holds no store
    assert PASSWORD not in result.stderr and "***" in error
    assert not (tmp_path / "copy.db").exists()
    copied(cli, src, pg_url)
    before = pg_dump(pg_url)
    # the same store through another spelling of its URL
    other = f"{pg_url}&application_name=another"
    result = cli("store", "copy", pg_url, other)
    error, _ = failure(result, ExitCode.CONFLICT)
    assert "SRC and DST are the same store" in error and PASSWORD not in result.stderr
    assert pg_dump(pg_url) == before


@pytest.mark.postgres
def test_big_tables_stream_from_postgresql_in_chunks(
    cli: Cli, src: Path, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied(cli, src, pg_url)
    monkeypatch.setattr(copying, "CHUNK_ROWS", 5)
    back = tmp_path / "back.db"
    seen: list[tuple[str, int, int]] = []
    stores.copy(pg_url, back, progress=lambda *step: seen.append(step))
    assert sqlite_rows(back) == sqlite_rows(src)
    assert len(seen) > seen[-1][2] // 5


def test_genesis_of_an_empty_source(cli: Cli, tmp_path: Path) -> None:
    """A store with no rows at all copies to one with none: head 0 and 64 zeros."""
    empty = tmp_path / "empty.db"
    store = open_for_write(empty)
    with store.transaction():
        pass
    store.close()
    dst = tmp_path / "copy.db"
    line = copied(cli, empty, dst)
    assert line == f"copied 0 rows (audit head 0:{GENESIS[:12]}...) from {empty} to {dst}"
    found = open_for_read(dst)
    assert found is not None
    try:
        assert audit.head(found.conn) == (0, GENESIS)
    finally:
        found.close()


@pytest.mark.postgres
def test_a_postgresql_schema_holding_other_tables_is_not_empty(
    cli: Cli, src: Path, pg_url: str
) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
    before = pg_dump(pg_url)
    result = cli("store", "copy", str(src), pg_url)
    error, _ = failure(result, ExitCode.CONFLICT)
    assert "holds tables that are not colabctl's (invoices)" in error
    assert PASSWORD not in result.stderr
    assert pg_dump(pg_url) == before


@pytest.mark.postgres
def test_a_login_that_does_not_own_the_tables_cannot_copy_into_them(
    cli: Cli, src: Path, pg_url: str
) -> None:
    """The tables of an (empty) store belong to the login that created them; another
    login, even with every grant on them, is refused (5) before anything is written: a
    login bound to no user may do nothing there (and the audit rows it would copy carry
    other logins, which only the owner may write)."""
    import secrets

    import psycopg

    store = engine.open_for_write(pg_url)  # the schema, as the superuser: it owns the tables
    with store.transaction():
        pass
    store.close()
    role, password = f"copier_{secrets.token_hex(4)}", "copier-pw-7"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()
        assert schema is not None
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema[0]} TO {role}")
        conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema[0]} TO {role}")
    other = pg_url.replace(f"postgres:{PASSWORD}@", f"{role}:{password}@")
    assert other != pg_url
    before = pg_dump(pg_url)
    try:
        result = cli("store", "copy", str(src), other)
        error, hint = failure(result, ExitCode.FORBIDDEN)
        assert error == f"error: login {role} is not bound to a colabctl user"
        assert hint == f"hint: the store owner runs colabctl store bind {role} EMAIL"
        assert password not in result.stderr and PASSWORD not in result.stderr
        assert pg_dump(pg_url) == before
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


@pytest.mark.slow
def test_on_a_terminal_a_progress_bar_runs_on_stderr(src: Path, tmp_path: Path) -> None:
    """stderr a terminal (a pseudo-terminal here): rich's bar is drawn while copying and
    cleared at the end, then the one result line; stdout gets nothing."""
    import pty
    import subprocess
    import sys

    from support import process_env

    master, slave = pty.openpty()
    dst = tmp_path / "copy.db"
    env = process_env(src, {"COLUMNS": "100", "TERM": "xterm"})
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "colabctl", "store", "copy", str(src), str(dst)],
        env=env, stdout=subprocess.PIPE, stderr=slave, timeout=60, check=False,
    )  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        shown += data
    os.close(master)
    assert done.returncode == 0 and done.stdout == b""
    text = shown.decode("utf-8", "replace")
    assert "copying" in text  # the bar's label
    assert text.rstrip().endswith(f"to {dst}")
    assert sqlite_rows(dst) == sqlite_rows(src)
