"""Ctrl-C and closed pipes, on real processes (issue 9, items 6 and 7; docs/exit-codes.md).

- SIGINT before anything committed: exit 130, exactly `error: interrupted; nothing was
  changed`, no traceback, the store as it was; promptly, even while another connection
  holds the write lock (the wait is made of short attempts, not one 15 s busy wait).
- SIGINT once a write committed: ignored; the command finishes and exits 0.
- A closed output pipe: exit 141, nothing on stderr (never 7, never a traceback).

SQLite only: the write lock held here is SQLite's.

Engines: SQLite only: signals during SQLite's own waits and commit (PostgreSQL's killed
writer: tests/store/test_pg_store.py)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ACME, OWNER, add_holders, colabctl, copy_store, dump, process_env, spawn

pytestmark = pytest.mark.slow

INTERRUPTED = "error: interrupted; nothing was changed\n"
INVITE = ("--as", OWNER, "invite", "nuevo@example.com", "-p", "soporte", "-a", ACME)
UTF8 = {"LANG": "C.UTF-8"}


def _spawn(db: Path, *args: str) -> subprocess.Popen[bytes]:
    return spawn(*args, db=db, stdout=subprocess.PIPE, env=UTF8)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store, closed cleanly (no -wal beside it), to copy for each run."""
    db = tmp_path_factory.mktemp("signals") / "template.db"
    done = colabctl("demo", "--db", str(db), db=db, env=UTF8)
    assert done.returncode == 0, done.stderr
    return db


def _fresh(template: Path, tmp_path: Path, name: str = "store.db") -> Path:
    return copy_store(template, tmp_path / name)


def _opened(pid: int, db: Path) -> bool:
    """Whether process PID has the store file open (it is past start-up)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == os.path.realpath(db):
                return True
        except OSError:
            continue
    return False


# -- SIGINT --------------------------------------------------------------------------------


def test_sigint_at_spread_moments_of_a_write(template: Path, tmp_path: Path) -> None:
    """From start-up (imports) to after the commit: every outcome is either "interrupted,
    nothing changed" (130) or "done" (0), never a traceback, never a change reported as
    interrupted."""
    outcomes: list[int] = []
    for i in range(14):
        db = _fresh(template, tmp_path)
        before = dump(db)
        process = _spawn(db, *INVITE)
        time.sleep(0.05 + 0.03 * i)  # .05 .. .44 s: loading, parsing, the write, the end
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        stderr = err.decode()
        outcomes.append(process.returncode)
        if "Traceback" in stderr and "/colabctl/" not in stderr:
            # The interpreter's own start-up (site, runpy), before any line of colabctl
            # runs: on a loaded machine it can outlast 50 ms. Not ours to answer.
            assert dump(db) == before
            continue
        assert "Traceback" not in stderr, stderr
        if process.returncode == 130:
            assert stderr == INTERRUPTED, stderr
            assert out == b""
            assert dump(db) == before
        elif process.returncode == 0:
            assert "nuevo@example.com" in stderr
            assert dump(db) != before
        else:  # killed before Python installed its own handler: nothing ran at all
            assert process.returncode == -signal.SIGINT, (process.returncode, stderr)
            assert stderr == ""
            assert dump(db) == before
    assert 130 in outcomes, outcomes


def test_sigint_while_waiting_for_the_write_lock_is_prompt(template: Path, tmp_path: Path) -> None:
    db = _fresh(template, tmp_path)
    before = dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        process = _spawn(db, *INVITE)
        deadline = time.monotonic() + 30
        while not _opened(process.pid, db) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # now in its BEGIN IMMEDIATE attempts
        assert process.poll() is None, "it should still be waiting for the lock"
        process.send_signal(signal.SIGINT)
        # well under the 15 s lock timeout: the wait is made of short attempts
        out, err = process.communicate(timeout=8)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.returncode == 130, err
    assert err.decode() == INTERRUPTED
    assert out == b""
    assert dump(db) == before


def test_sigint_after_a_commit_does_not_change_the_outcome(tmp_path: Path) -> None:
    """`demo` commits some twenty times; once its first commit is in, Ctrl-C is ignored and
    the build finishes: exit 0, the whole demo."""
    for _ in range(3):
        db = tmp_path / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        process = _spawn(tmp_path / "unused.db", "demo", "--db", str(db))
        deadline = time.monotonic() + 60
        committed = False
        while not committed and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                try:
                    committed = bool(conn.execute("SELECT count(*) FROM audit").fetchone()[0])
                finally:
                    conn.close()
            except sqlite3.Error:
                continue
        if process.poll() is not None:
            process.communicate()
            continue  # finished before we could interrupt it: try again
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "Traceback" not in err.decode()
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2
        finally:
            conn.close()
        return
    pytest.fail("demo always finished before the interrupt could be sent")


# -- closed pipes --------------------------------------------------------------------------


def _closed_pipe_run(db: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    """Run with stdout a pipe whose reader is already gone: every write fails (EPIPE)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = colabctl(*args, db=db, input=stdin, env=UTF8, stdout=writer)
    finally:
        os.close(writer)
    return done.returncode, done.stderr


def _batch(lines: int) -> str:
    line = {"user": OWNER, "account": ACME, "permission": "products.view"}
    return (json.dumps(line) + "\n") * lines


@pytest.mark.parametrize(
    "args",
    [
        ("--as", OWNER, "can", "--batch", "-"),
        ("--as", OWNER, "can", OWNER, "products.view", "-a", ACME),
        ("permissions",),
        ("permissions", "--json"),
        ("--as", OWNER, "matrix", "-a", ACME),
        ("--as", OWNER, "audit", "log", "-a", ACME, "--json"),
        ("--as", OWNER, "profile", "export", "soporte", "-a", ACME, "-o", "-"),
    ],
    ids=lambda a: " ".join(a),
)
def test_a_closed_pipe_ends_quietly_with_141(
    template: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    db = _fresh(template, tmp_path)
    before = dump(db)
    code, stderr = _closed_pipe_run(db, *args, stdin=_batch(5000))
    assert (code, stderr) == (141, "")
    assert dump(db) == before


def _bash(
    script: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A shell line (a pipe to head, a process substitution) run by bash, to its end."""
    return subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",  # `head -c` may cut a character in two
        timeout=60,
    )


def test_can_batch_piped_to_head(template: Path, tmp_path: Path) -> None:
    """The shell's own `| head -1`: one answer printed, colabctl's status 141, no error."""
    db = _fresh(template, tmp_path)
    checks = tmp_path / "checks.jsonl"
    checks.write_text(_batch(20000))
    script = (
        f'"{sys.executable}" -m colabctl --as {OWNER} can --batch "{checks}" | head -1;'
        ' echo "status=${PIPESTATUS[0]}" >&2'
    )
    done = _bash(script, process_env(db, UTF8))
    assert len(done.stdout.splitlines()) == 1
    assert json.loads(done.stdout)["allowed"] is True
    assert done.stderr == "status=141\n"


@pytest.fixture(scope="module")
def crowded(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with 3,000 more collaborators of acme-cursos: every listing of them is
    far bigger than a pipe's buffer."""
    db = copy_store(template, tmp_path_factory.mktemp("crowded") / "store.db")
    add_holders(db, 3000, active_every=3)
    return db


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize(
    "args",
    [
        ("collaborator", "list", "-a", ACME),
        ("collaborator", "list", "-a", ACME, "--json"),
        ("audit", "log", "-a", ACME, "--limit", "5000"),
        ("audit", "log", "-a", ACME, "--limit", "5000", "--json"),
        ("can", "--batch", "checks.jsonl"),
    ],
    ids=lambda a: " ".join(a[:2] + a[-1:]),
)
def test_a_reader_that_leaves_midway_gets_141(
    crowded: Path, tmp_path: Path, args: tuple[str, ...], unbuffered: bool
) -> None:
    """`| head -c 100` reads a little and goes: the rest of the output cannot be written,
    and colabctl says so with 141 (quietly), whatever the size of the output and whether
    Python buffers stdout (PYTHONUNBUFFERED dropped the rest silently, with exit 0)."""
    db = _fresh(crowded, tmp_path)
    (tmp_path / "checks.jsonl").write_text(_batch(20000))
    command = " ".join(f"'{arg}'" for arg in args)
    script = (
        f'"{sys.executable}" -m colabctl --as {OWNER} {command} 2>err.txt | head -c 100;'
        ' echo "status=${PIPESTATUS[0]}" >&2'
    )
    env = process_env(db, UTF8)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    done = _bash(script, env, cwd=tmp_path)
    assert done.stdout  # the first 100 bytes came out
    assert done.stderr == "status=141\n"
    assert (tmp_path / "err.txt").read_bytes() == b""


def test_a_config_that_never_ends_is_refused_at_once(template: Path, tmp_path: Path) -> None:
    """COLABCTL_CONFIG=/dev/zero: refused (6) after reading its cap, never read forever;
    a folder is 6 too; a FIFO (or `<(...)`) is read like a file."""
    db = _fresh(template, tmp_path)
    for config in ("/dev/zero", str(tmp_path)):
        done = colabctl("whoami", db=db, env={**UTF8, "COLABCTL_CONFIG": config})
        assert done.returncode == 6, done.stderr
        assert done.stderr.startswith(f"error: the config {config}: "), done.stderr
    script = (
        f'COLABCTL_CONFIG=<(printf \'user = "{OWNER}"\\n\') "{sys.executable}" -m colabctl'
        " whoami --json"
    )
    done_fifo = _bash(script, process_env(db, UTF8))
    assert done_fifo.returncode == 0, done_fifo.stderr
    assert json.loads(done_fifo.stdout)["user"] == OWNER


def test_a_batch_from_process_substitution(template: Path, tmp_path: Path) -> None:
    db = _fresh(template, tmp_path)
    script = (
        f"\"{sys.executable}\" -m colabctl --as {OWNER} can --batch <(printf '%s\\n' "
        f"'{json.dumps({'user': OWNER, 'account': ACME, 'permission': 'products.view'})}')"
    )
    done = _bash(script, process_env(db, UTF8))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["allowed"] is True
