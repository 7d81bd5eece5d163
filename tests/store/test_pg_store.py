"""A store on a real PostgreSQL server (docs/postgres.md), beyond what every store test
checks on both engines: real `colabctl` processes writing at once, a writer killed inside
its transaction, the errors of a server that is away, refuses the login, lacks the
database, drops the connection or is busy past the budget (exit 7, one line naming host
and database, never the password), a newer schema, the missing driver, and the
credentials libpq finds on its own (PGPASSWORD, ~/.pgpass).

Engines: PostgreSQL only, as the server's own behaviour is what is tested."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import PG_DATABASE
from pgcluster import PASSWORD, SUPERUSER, Cluster, free_port
from support import (
    ACME,
    OWNER,
    Cli,
    acme_store,
    audit_rows,
    colabctl,
    dump,
    error_lines,
    failure,
    intact,
    ok,
    process_env,
    raw,
    spawn,
)

from colabctl.store import postgres
from colabctl.store import sql as store_sql

# every test's store (db_path, COLABCTL_DB) is a fresh schema on the throwaway server
pytestmark = [pytest.mark.postgres, pytest.mark.engines("postgres")]

COMMAND = (sys.executable, "-m", "colabctl")
PROCESSES = 8
WRITERS = 50
LOCK_CLASS = postgres.LOCK_CLASS
WRITER_LOCK = (
    "SELECT pg_advisory_xact_lock(%s, hashtext(current_database() || '/' || current_schema()))"
)


@pytest.fixture
def acme(db_path: str) -> str:
    """ana owns acme-cursos (soporte, tecnico), bob active in soporte; built through core."""
    acme_store(db_path)
    return db_path


def until(found: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Poll FOUND until it answers something true (the state of another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = found()
        if answer:
            return answer
        time.sleep(0.02)
    raise AssertionError(f"waited {timeout} s for {what}")


def waiting_backend(admin: Any, event: str) -> int | None:
    """The pid of a backend in the test database that waits on a lock of kind EVENT
    ('advisory', 'transactionid', 'tuple'): a colabctl writer, in these tests."""
    row = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = %s"
        " AND pid <> pg_backend_pid() AND datname = %s",
        (event, PG_DATABASE),
    ).fetchone()
    return None if row is None else int(row[0])


def one_line_naming(stderr: str, *needles: str) -> str:
    """exit-7 output: one error line (plus at most a hint) naming every needle, and no
    password anywhere."""
    error, _ = error_lines(7, "", stderr, 7)
    for needle in needles:
        assert needle in error, (needle, error)
    assert PASSWORD not in stderr
    return error


# -- many writers at once ----------------------------------------------------------------------


@pytest.mark.slow
def test_8_processes_x_50_cli_writers_lose_nothing(acme: str) -> None:
    """400 `colabctl invite` processes, 8 at a time, on one store: every one succeeds,
    every invitation is there, one audit row each, the chain verifies and its head is its
    last row."""
    before = len(audit_rows(acme))
    env = process_env(acme)

    def worker(index: int) -> list[tuple[str, int, str]]:
        done = []
        for n in range(WRITERS):
            email = f"w{index}-{n:02d}@example.com"
            run = subprocess.run(
                [*COMMAND, "--as", OWNER, "invite", email, "--profile", "soporte", "-a", ACME],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            done.append((email, run.returncode, run.stderr))
        return done

    colabctl("--version", db=acme)  # the slow marker's check, once
    with ThreadPoolExecutor(PROCESSES) as pool:
        outcomes = [o for batch in pool.map(worker, range(PROCESSES)) for o in batch]
    failed = [o for o in outcomes if o[1] != 0]
    assert failed == []
    (invited,) = raw(
        acme,
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.status = 'pending' ORDER BY u.email",
    )
    assert [r[0] for r in invited] == sorted(o[0] for o in outcomes)  # zero lost
    rows = audit_rows(acme)
    assert len(rows) == before + PROCESSES * WRITERS
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    (head,) = raw(acme, "SELECT seq, hash FROM audit_head")
    assert head == [(len(rows), rows[-1]["hash"])]
    intact(acme)
    verified = colabctl("audit", "verify", db=acme)
    assert verified.returncode == 0 and verified.stdout.startswith(f"intact: {len(rows)} rows")


@pytest.mark.slow
def test_a_writer_killed_inside_its_transaction_leaves_nothing_behind(
    acme: str, pg_admin: Any
) -> None:
    """The writer has written its user, membership and audit row and waits on the head's
    row, which another session holds; SIGKILL. Nothing it wrote survives, and the next
    writer goes ahead."""
    before = dump(acme)
    with psycopg.connect(acme) as holder:  # a transaction: the head's row locked
        holder.execute("SELECT * FROM audit_head FOR UPDATE")
        writer = spawn(
            *("--as", OWNER, "invite", "killed@example.com", "--profile", "soporte", "-a", ACME),
            db=acme,
        )
        try:
            pid = until(
                lambda: pg_admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND backend_xid IS NOT NULL AND datname = %s AND pid <> %s",
                    (PG_DATABASE, holder.info.backend_pid),
                ).fetchone(),
                "the writer to wait, having written",
            )
            assert pid is not None
            writer.send_signal(signal.SIGKILL)
            assert writer.wait(timeout=30) == -signal.SIGKILL
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
        holder.rollback()
    until(
        lambda: pg_admin.execute(
            "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s", (pid[0],)
        ).fetchone()[0],
        "the killed writer's backend to end",
    )
    assert dump(acme) == before  # nothing behind: no user, no membership, no audit row
    done = colabctl("--as", OWNER, "invite", "next@example.com", "--profile", "soporte", db=acme)
    assert done.returncode == 0, done.stderr
    intact(acme)
    assert audit_rows(acme)[-1]["target"] == "next@example.com"


# -- errors: exit 7, one line naming host and database, never the password ----------------------


def test_an_unreachable_server(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens there
    url = f"postgresql://{SUPERUSER}:{PASSWORD}@127.0.0.1:{port}/{PG_DATABASE}"
    monkeypatch.setenv("COLABCTL_DB", url)
    result = cli("--as", OWNER, "account", "list")
    failure(result, 7)
    one_line_naming(result.stderr, f"127.0.0.1:{port}/{PG_DATABASE}")


def test_a_url_libpq_cannot_parse_hides_its_password(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq's message quotes the whole URL: the password must not come through with it
    monkeypatch.setenv("COLABCTL_DB", f"postgresql://{SUPERUSER}:{PASSWORD}@[127.0.0.1/x")
    result = cli("--as", OWNER, "account", "list")
    line, hint = failure(result, 7)
    assert "not one PostgreSQL can use" in line and "***" in line
    assert PASSWORD not in result.stderr and hint is not None and "postgresql://" in hint


def test_a_refused_login(cli: Cli, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "not-" + PASSWORD
    monkeypatch.setenv("COLABCTL_DB", pg_cluster.url(PG_DATABASE, password=wrong))
    result = cli("--as", OWNER, "invite", "x@example.com", "--profile", "soporte", "-a", ACME)
    failure(result, 7)
    one_line_naming(result.stderr, f"127.0.0.1:{pg_cluster.port}/{PG_DATABASE}")
    assert wrong not in result.stderr


def test_a_missing_database(cli: Cli, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLABCTL_DB", pg_cluster.url("no_such_db"))
    for args in (("--as", OWNER, "account", "list"), ("login", OWNER)):
        result = cli(*args)
        failure(result, 7)
        one_line_naming(result.stderr, f"127.0.0.1:{pg_cluster.port}/no_such_db")
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        assert (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = 'no_such_db'").fetchone()
            is None
        )


@pytest.mark.slow
def test_a_lost_connection_while_waiting_for_the_writer_lock(
    acme: str, pg_admin: Any, pg_cluster: Cluster
) -> None:
    """A writer waits for colabctl's writer lock (held by another session); its server
    process is terminated: exit 7 naming host and database, nothing written."""
    before = dump(acme)
    with psycopg.connect(acme) as holder:
        holder.execute(WRITER_LOCK, (LOCK_CLASS,))
        writer = spawn(
            "--as", OWNER, "invite", "lost@example.com", "--profile", "soporte", "-a", ACME, db=acme
        )
        try:
            pid = until(lambda: waiting_backend(pg_admin, "advisory"), "the writer to wait")
            pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            _, stderr = writer.communicate(timeout=60)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
        holder.rollback()
    assert writer.returncode == 7, stderr
    one_line_naming(stderr.decode(), f"127.0.0.1:{pg_cluster.port}/{PG_DATABASE}")
    assert dump(acme) == before


def test_a_statement_past_the_busy_budget(
    cli: Cli, acme: str, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session holds colabctl's writer lock longer than the budget (1 s here):
    exit 7 saying the store is busy, naming host and database; nothing written."""
    monkeypatch.setattr(store_sql, "BUSY_TIMEOUT_S", 1.0)
    before = dump(acme)
    with psycopg.connect(acme) as holder:
        holder.execute(WRITER_LOCK, (LOCK_CLASS,))
        result = cli(
            "--as", OWNER, "invite", "busy@example.com", "--profile", "soporte", "-a", ACME
        )
        holder.rollback()
    failure(result, 7)
    error = one_line_naming(result.stderr, f"127.0.0.1:{pg_cluster.port}/{PG_DATABASE}")
    assert "busy" in error
    assert dump(acme) == before
    ok(cli("--as", OWNER, "invite", "busy@example.com", "--profile", "soporte", "-a", ACME))


@pytest.mark.parametrize(
    "args",
    [
        ("--as", OWNER, "account", "list"),
        ("--as", OWNER, "can", "bob.costa@example.com", "products.view", "-a", ACME),
        ("--as", OWNER, "invite", "new@example.com", "--profile", "soporte", "-a", ACME),
        ("audit", "verify"),
    ],
    ids=["list", "can", "invite", "verify"],
)
def test_a_newer_schema_is_refused_untouched(cli: Cli, acme: str, args: tuple[str, ...]) -> None:
    raw(acme, "UPDATE colabctl_schema SET version = 99")
    before = dump(acme)
    result = cli(*args)
    failure(result, 7, hint="upgrade colabctl")
    assert "newer colabctl" in result.stderr and PASSWORD not in result.stderr
    assert dump(acme) == before


# -- the driver: needed for a URL only ----------------------------------------------------------


@pytest.mark.slow
def test_without_the_driver_a_url_exits_7_with_the_install_hint(acme: str) -> None:
    code = (
        "import sys, runpy; sys.modules['psycopg'] = None;"
        " sys.argv = ['colabctl', '--as', 'ana.souza@example.com', 'account', 'list'];"
        " runpy.run_module('colabctl', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=process_env(acme),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _, hint = error_lines(done.returncode, done.stdout, done.stderr, 7)
    assert hint is not None and "pip install 'colabctl[postgres]'" in hint
    assert PASSWORD not in done.stderr


@pytest.mark.slow
def test_can_on_sqlite_never_imports_psycopg(tmp_path: Path) -> None:
    db = acme_store(tmp_path / "store.db")
    done = colabctl(
        "--as",
        OWNER,
        "can",
        "bob.costa@example.com",
        "products.view",
        "-a",
        ACME,
        db=db,
        python_options=("-X", "importtime"),
    )
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr[-2000:]
    modules = {line.split("|")[2].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "colabctl.store.db" in modules  # the probe sees what was imported
    assert not {m for m in modules if m.split(".")[0] == "psycopg"}
    assert "colabctl.store.postgres" not in modules


# -- credentials libpq finds by itself -----------------------------------------------------------


def url_without_password(url: str) -> str:
    return url.replace(f"{SUPERUSER}:{PASSWORD}@", f"{SUPERUSER}@")


@pytest.fixture
def no_libpq_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PG* variable from outside, and HOME an empty folder of the test's."""
    for var in [v for v in os.environ if v.startswith("PG")]:
        monkeypatch.delenv(var)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_a_url_without_password_fails_without_credentials(
    cli: Cli, acme: str, no_libpq_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the two below: no password anywhere is a refused login."""
    monkeypatch.setenv("COLABCTL_DB", url_without_password(acme))
    failure(cli("--as", OWNER, "account", "list"), 7)


def test_pgpassword(
    cli: Cli, acme: str, no_libpq_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLABCTL_DB", url_without_password(acme))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    listed = ok(cli("--as", OWNER, "account", "list"))
    assert ACME in listed.stdout and PASSWORD not in listed.stdout


def test_pgpass_file(
    cli: Cli, acme: str, pg_cluster: Cluster, no_libpq_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgpass = no_libpq_env / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:{PG_DATABASE}:{SUPERUSER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("COLABCTL_DB", url_without_password(acme))
    listed = ok(cli("--as", OWNER, "account", "list"))
    assert ACME in listed.stdout
    ok(cli("--as", OWNER, "invite", "pgpass@example.com", "--profile", "soporte", "-a", ACME))
    assert audit_rows(acme)[-1]["target"] == "pgpass@example.com"


# -- the translation -----------------------------------------------------------------------------


def test_a_percent_sign_in_a_literal_survives_with_and_without_parameters(acme: str) -> None:
    conn = postgres.connect(acme)
    try:
        assert conn.execute("SELECT '100%'").fetchone() == ("100%",)
        assert conn.execute("SELECT '100%', ?", (1,)).fetchone() == ("100%", 1)
    finally:
        conn.close()
