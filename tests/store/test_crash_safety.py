"""Crash safety (docs/storage.md): a `colabctl` process killed with SIGKILL in the middle of
a multi-row write leaves an intact store where the change happened entirely or not at all,
the audit chain verifies, and running the same command again converges to the state an
uninterrupted run leaves.

The write: `profile delete soporte --reassign tecnico` over a profile held by 2,000
collaborators (one UPDATE of 2,000 rows, a DELETE and an audit row naming all of them),
on a store seeded through the real schema and the real audit chain. Kills land at spread
delays after spawn, and at spread moments after the process took the write lock (frozen
with SIGSTOP, judged from the files, then killed), so that some hit the commit while its
frames are being written. Also `demo --db`, killed between and inside its twenty-odd
transactions.

Retry exit codes (the docs are silent; documented here): a retry after an interrupted run that
changed nothing exits 0 and does the whole change; a retry after a run that committed
exits 3 (`no profile 'soporte'`) and changes nothing, as does any further retry.

SQLite only: a SQLite writer killed over its file. On PostgreSQL: the killed writer of
tests/store/test_pg_store.py.

Engines: SQLite only: a writer killed over its file (PostgreSQL's:
tests/store/test_pg_store.py)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import struct
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import ACME, OWNER, acme_store, add_holders, colabctl, copy_store, intact, side, spawn

pytestmark = pytest.mark.slow  # SIGKILLs real processes, again and again

HOLDERS = 2000
DELETE = ("--as", OWNER, "profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME)
BUSINESS = ("users", "accounts", "profiles", "profile_permissions", "memberships")
MIN_KILLS = 20
MIN_INSIDE = 12
BEFORE_COMMIT = "holding the lock, before its commit record"
IN_COMMIT = "holding the lock, commit record in the log but not yet published"
PUBLISHED = "holding a lock, its commit published"
AFTER_LOCK = "after it let go of the lock"


# -- helpers ------------------------------------------------------------------------------------


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _business(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {table: _query(db, f"SELECT * FROM {table} ORDER BY 1, 2") for table in BUSINESS}


def _audit(db: Path) -> list[tuple[Any, ...]]:
    """The audit rows without their timestamps and hashes (a rerun happens at another time)."""
    return _query(db, "SELECT seq, actor, account, action, target FROM audit ORDER BY seq")


def _last_commit_frame(db: Path) -> int:
    """The number of the last frame of the write-ahead log that carries a commit record
    (0: none), read right after a kill, before anything opens the store. Frames are counted
    while their salts match the log header and their page is whole; checksums are not
    checked, so this may count a frame recovery would reject, never miss one it accepts."""
    try:
        data = side(db, "-wal").read_bytes()
    except FileNotFoundError:
        return 0
    if len(data) < 32:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frame, last_commit, offset = 0, 0, 32
    while offset + 24 + page_size <= len(data):
        header = data[offset : offset + 24]
        if header[8:16] != salts:
            break
        frame += 1
        if struct.unpack(">I", header[4:8])[0] != 0:
            last_commit = frame
        offset += 24 + page_size
    return last_commit


def _published_frames(db: Path) -> int:
    """How many log frames the wal-index (-shm) header publishes to readers: the writer
    updates it after syncing its commit frame, and only then is the commit visible to the
    connections still open. -1 if the header's two copies differ (the next connection then
    rebuilds the index from the log, commit frames included)."""
    try:
        data = side(db, "-shm").read_bytes()[:96]
    except FileNotFoundError:
        return 0
    if len(data) < 96:
        return 0
    if data[:48] != data[48:96]:
        return -1
    return int(struct.unpack("=I", data[16:20])[0])


def _landing(db: Path, template: Path, locked: bool) -> str:
    """Where a kill of a process holding (or not) the write lock landed, from the files
    alone. SQLite's commit point for the connections that survive the writer is the
    wal-index update that follows the commit frame: a kill between the two leaves a
    commit record that recovery may replay or, if a connection kept the index alive,
    drop with the log. Either is all-or-nothing; only the other three cases are certain."""
    if not locked:
        return AFTER_LOCK
    commit = _last_commit_frame(db)
    published = _published_frames(db)
    main_untouched = db.read_bytes() == template.read_bytes()
    if commit == 0 and main_untouched:
        return BEFORE_COMMIT
    if not main_untouched or published == -1 or published >= commit:
        return PUBLISHED  # checkpointed into the main file, or visible to every reader
    return IN_COMMIT


def _kill_after(process: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL the process `delay` seconds after spawn. False if it finished first."""
    deadline = time.monotonic() + delay
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode == -signal.SIGKILL


def _write_locked(probe: sqlite3.Connection) -> bool:
    """Does another connection hold the store's write lock right now?"""
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    probe.execute("ROLLBACK")
    return False


def _stopped(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0] in ("T", "t")


def _kill_inside_transaction(
    process: subprocess.Popen[bytes], db: Path, template: Path, extra: float
) -> str | None:
    """Wait until the process takes the write lock (its BEGIN IMMEDIATE), let it run
    `extra` seconds more, freeze it (SIGSTOP), look whether it still holds the lock, then
    SIGKILL it. Returns where the kill landed (see `_landing`), judged from the files
    right after it, before the probe (then the last connection) closes.

    None if the process finished before it could be stopped."""
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        while process.poll() is None and not _write_locked(probe):
            time.sleep(0.0002)  # leave the lock free most of the time
        if extra:
            time.sleep(extra)
        if process.poll() is not None:
            return None
        process.send_signal(signal.SIGSTOP)
        while process.poll() is None and not _stopped(process.pid):
            time.sleep(0.0001)
        if process.poll() is not None:
            return None
        locked = _write_locked(probe)
        process.send_signal(signal.SIGKILL)
        process.wait()
        return _landing(db, template, locked)
    finally:
        probe.close()


# -- the 2,000-holder store ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """acme-cursos (a legal entity) with soporte held by 2,000 collaborators (half of them
    active), each with its invitation (and acceptance) in the audit chain; tecnico empty."""
    db = acme_store(tmp_path_factory.mktemp("crash") / "template.db", with_bob=False)
    add_holders(db, HOLDERS, active_every=2)
    assert not side(db, "-wal").exists()
    intact(db)
    return db


@pytest.fixture(scope="module")
def reference(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state an uninterrupted run leaves."""
    db = tmp_path_factory.mktemp("reference") / "store.db"
    copy_store(template, db)
    done = colabctl(*DELETE, db=db)
    assert done.returncode == 0, done.stderr
    assert f"moved {HOLDERS} collaborators" in done.stderr
    return db


def test_the_reference_run_moves_every_holder(template: Path, reference: Path) -> None:
    moved = _query(
        reference,
        "SELECT p.name, count(*) FROM memberships m JOIN profiles p ON p.id = m.profile_id"
        " GROUP BY p.name",
    )
    assert moved == [("tecnico", HOLDERS)]
    assert _query(reference, "SELECT name FROM profiles ORDER BY name") == [("tecnico",)]
    assert _audit(reference) == [
        *_audit(template),
        (len(_audit(template)) + 1, OWNER, ACME, "profile.delete", "soporte"),
    ]
    intact(reference)


def test_sigkill_mid_write_is_all_or_nothing_and_a_retry_converges(
    template: Path, reference: Path, tmp_path: Path
) -> None:
    before = (_business(template), _audit(template))
    after = (_business(reference), _audit(reference))
    assert before != after

    # 8 kills at delays spread from 5 to 200 ms after spawn (most before the store is even
    # opened, some around the write), then kills 0 to 12 ms after the process took the
    # write lock, until at least 12 provably landed between its BEGIN IMMEDIATE and its
    # commit record.
    delays = [0.005 + 0.195 * i / 7 for i in range(8)]
    extras = [0.012 * i / 15 for i in range(16)]
    kills: Counter[str] = Counter()  # how each kill landed
    outcomes: Counter[str] = Counter()
    db = tmp_path / "store.db"
    attempt = 0
    while (
        attempt < len(delays) + len(extras)
        or sum(kills.values()) < MIN_KILLS
        or kills[BEFORE_COMMIT] < MIN_INSIDE
    ):
        assert attempt < 100, f"could not land the kills: {dict(kills)}"
        copy_store(template, db)
        process = spawn(*DELETE, db=db)
        landed: str | None = None
        if attempt < len(delays):
            if _kill_after(process, delays[attempt]):
                landed = "at a delay"
        else:
            landed = _kill_inside_transaction(process, db, template, extras[attempt % len(extras)])
        attempt += 1
        if landed is None:
            assert process.wait() == 0, process.stderr.read() if process.stderr else ""
        else:
            kills[landed] += 1

        # after the kill: an intact store, and the change entirely or not at all
        intact(db)
        state = (_business(db), _audit(db))
        assert state in (before, after), "a half-done change survived the kill"
        outcomes[f"{landed or 'not killed'}: {'nothing' if state == before else 'everything'}"] += 1
        # where the kill provably landed decides which of the two it is
        if landed == BEFORE_COMMIT:
            assert state == before
        elif landed in (PUBLISHED, AFTER_LOCK):
            assert state == after

        # the same command again converges on the uninterrupted run's state
        retry = colabctl(*DELETE, db=db)
        assert "Traceback" not in retry.stderr
        if state == before:
            assert retry.returncode == 0, retry.stderr
        else:
            assert retry.returncode == 3, retry.stderr
            assert retry.stderr.startswith("error: no profile")
        assert (_business(db), _audit(db)) == after
        intact(db)
        if attempt % 4 == 0:  # and once more: nothing changes
            again = colabctl(*DELETE, db=db)
            assert again.returncode == 3
            assert (_business(db), _audit(db)) == after

    assert sum(kills.values()) >= MIN_KILLS
    print(f"\nSIGKILLs: {sum(kills.values())} in {attempt} runs: {dict(kills)}")
    print(f"where each landed, and what the store held after it: {dict(outcomes)}")


# -- demo --db, killed between and inside its transactions -----------------------------------------


def _demo_facts(db: Path) -> tuple[list[str], dict[str, int]]:
    actions = [a for (a,) in _query(db, "SELECT action FROM audit ORDER BY seq")]
    counts = {
        "users": _query(db, "SELECT count(*) FROM users")[0][0],
        "accounts": _query(db, "SELECT count(*) FROM accounts")[0][0],
        "profiles": _query(db, "SELECT count(*) FROM profiles")[0][0],
        "memberships": _query(db, "SELECT count(*) FROM memberships")[0][0],
        "active": _query(db, "SELECT count(*) FROM memberships WHERE status = 'active'")[0][0],
    }
    return actions, counts


def _demo_projection(db: Path) -> list[list[tuple[Any, ...]]]:
    """The demo store without its timestamps (each run happens at another time)."""
    return [
        _query(db, "SELECT email, name FROM users ORDER BY email"),
        _query(db, "SELECT slug, name, owner_id, tax_country, tax_id FROM accounts ORDER BY 1"),
        _query(db, "SELECT account_id, name, description, title FROM profiles ORDER BY 1, 2"),
        _query(db, "SELECT * FROM profile_permissions ORDER BY 1, 2"),
        _query(db, "SELECT account_id, user_id, profile_id, status FROM memberships ORDER BY 1, 2"),
        _audit(db),
    ]


def test_sigkilled_demo_leaves_a_consistent_prefix_and_a_rerun_rebuilds_it(
    tmp_path: Path,
) -> None:
    reference = tmp_path / "reference.db"
    done = colabctl("demo", "--db", str(reference), db=reference)
    assert done.returncode == 0, done.stderr
    full_actions, full_counts = _demo_facts(reference)
    projection = _demo_projection(reference)

    db = tmp_path / "demo.db"
    kills = 0
    for i in range(8):
        delay = 0.05 + 0.25 * i / 7  # 50 ms .. 300 ms: before, between and inside commits
        if i % 2:
            shutil.copyfile(reference, db)  # demo recreates an existing file too
        process = spawn("demo", "--db", str(db), db=tmp_path / "unused.db")
        kills += _kill_after(process, delay)
        # killed before its first commit, the new file may hold no schema yet: a blank store
        if db.exists() and _query(db, "SELECT count(*) FROM sqlite_master") != [(0,)]:
            intact(db)
            actions, counts = _demo_facts(db)
            # whatever committed is a prefix of the full build, and each change has its row
            assert actions == full_actions[: len(actions)]
            tally = Counter(actions)
            assert counts["accounts"] == tally["account.create"]
            assert counts["profiles"] == tally["profile.create"]
            assert counts["memberships"] == tally["invitation.create"]
            assert counts["active"] == tally["invitation.accept"]
            assert counts["users"] == tally["user.create"] + sum(
                1
                for (new,) in _query(
                    db,
                    "SELECT json_extract(details, '$.new_user') FROM audit"
                    " WHERE action = 'invitation.create'",
                )
                if new
            )
        rerun = colabctl("demo", "--db", str(db), db=tmp_path / "unused.db")
        assert rerun.returncode == 0, rerun.stderr
        assert _demo_facts(db) == (full_actions, full_counts)
        assert _demo_projection(db) == projection
        intact(db)
    assert not (tmp_path / "unused.db").exists(), "demo must write only its own file"
    assert kills >= 4
    print(f"\ndemo --db: {kills} SIGKILLs in 8 runs, each rebuilt by a rerun")
