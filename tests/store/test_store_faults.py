"""A store that cannot be used (docs/exit-codes.md, docs/storage.md): every fault gives exit 7, one
`error:` line (and perhaps a `hint:`), no traceback, and nothing half-written. All run as
real `colabctl` processes on real files.

How each fault is made, given that tests run as root (root ignores file modes):

- read-only store: the file is chmod 0400, and the colabctl process starts without
  CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped from its capability bounding set with
  prctl(PR_CAPBSET_DROP) before exec; root keeps CAP_SETPCAP for that in a default
  container). Without them root obeys file modes like anyone else, so this is the real
  EACCES path. (Not used: `chattr +i` and mounting a read-only filesystem need
  CAP_LINUX_IMMUTABLE / CAP_SYS_ADMIN, which container runtimes drop by default; running
  as another uid needs the interpreter to be readable by it, and /root/.pyenv is not.)
  Run as a non-root user, the chmod alone does it and no capability is touched.
- full disk: the colabctl process starts with RLIMIT_FSIZE set below what the write needs
  (setrlimit before exec). Root is not exempt from it; Python ignores SIGXFSZ, so the
  write past the limit fails with EFBIG, which SQLite reports as SQLITE_IOERR_WRITE
  ("disk I/O error"). A tiny tmpfs would give a true ENOSPC (SQLITE_FULL) but mounting needs
  CAP_SYS_ADMIN; a -wal symlinked to /dev/full is refused by SQLite (O_NOFOLLOW). The
  connection's own max_page_count cannot be reached from outside the process.
- missing folder, folder instead of a file, random bytes, a text file, a corrupt store
  (valid header, garbage pages), a store from a newer colabctl (PRAGMA user_version).

SQLite only: faults of the file (modes, full disk, locks, what is not SQLite). A
PostgreSQL server's faults: tests/store/test_pg_store.py.

Engines: SQLite only: the faults of a file (PostgreSQL's: tests/store/test_pg_store.py)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import resource
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BOB,
    OWNER,
    acme_store,
    add_holders,
    colabctl,
    copy_store,
    dump,
    error_lines,
    intact,
    python,
)

# every test here runs colabctl as a process
pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]

WRITES: list[tuple[str, ...]] = [
    ("login", "new.person@example.com"),
    ("--as", OWNER, "invite", "zoe@example.com", "--profile", "soporte", "-a", ACME),
    ("--as", OWNER, "profile", "edit", "soporte", "--add", "withdrawal.withdraw", "-a", ACME),
    ("--as", OWNER, "profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME),
    ("--as", OWNER, "account", "create", "beta-digital", "--name", "Beta"),
]
READS: list[tuple[str, ...]] = [
    ("--as", OWNER, "can", BOB, "products.view", "-a", ACME),
    ("--as", OWNER, "profile", "list", "-a", ACME, "--json"),
    ("audit", "verify"),
]


# -- helpers ------------------------------------------------------------------------------------


def one_error(done: subprocess.CompletedProcess[str], code: int = 7) -> str:
    """Exit `code` (a store fault unless told), with the one `error:` line."""
    return error_lines(done.returncode, done.stdout, done.stderr, code)[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(acme_template: Path, tmp_path: Path) -> Path:
    """ana owns acme-cursos with soporte and tecnico, bob active in soporte."""
    return copy_store(acme_template, tmp_path / "store.db")


# -- read-only ----------------------------------------------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


def _obey_file_modes() -> None:
    """preexec: make this (root) process obey file modes, as any other user does."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_the_capability_drop_really_makes_root_obey_file_modes(store: Path) -> None:
    store.chmod(0o400)
    probe = python("-c", f"open({str(store)!r}, 'r+b')", preexec=_obey_file_modes)
    assert probe.returncode != 0 and "PermissionError" in probe.stderr


@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a[2:5] if a[0] == "--as" else a))
def test_a_read_only_store_refuses_writes_and_changes_nothing(
    store: Path, args: tuple[str, ...]
) -> None:
    before = dump(store)
    store.chmod(0o400)
    line = one_error(colabctl(*args, db=store, preexec=_obey_file_modes))
    assert "cannot be written" in line or "readonly" in line
    store.chmod(0o600)
    assert dump(store) == before
    intact(store)


def test_a_read_only_store_still_answers_reads(store: Path) -> None:
    store.chmod(0o400)
    can = colabctl(*READS[0], db=store, preexec=_obey_file_modes)
    assert (can.returncode, can.stdout.strip()) == (0, "yes"), can.stderr
    listed = colabctl(*READS[1], db=store, preexec=_obey_file_modes)
    assert listed.returncode == 0, listed.stderr
    verified = colabctl(*READS[2], db=store, preexec=_obey_file_modes)
    assert verified.returncode == 0, verified.stderr


# -- where the store should be ------------------------------------------------------------------


def test_a_store_folder_that_does_not_exist(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "deeper" / "store.db"
    for args in WRITES[:2]:
        line = one_error(colabctl(*args, db=db))
        assert "does not exist" in line
    assert not (tmp_path / "missing").exists()


def test_a_folder_where_the_store_should_be(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    db.mkdir()
    for args in [*WRITES[:2], READS[0], READS[2]]:
        line = one_error(colabctl(*args, db=db))
        assert "folder" in line
    assert list(db.iterdir()) == []


# -- not a colabctl store -------------------------------------------------------------------------


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(16_384))


def _text(path: Path) -> None:
    path.write_text("[user]\nname = 'not a store'\n" * 300, encoding="utf-8")


def _short_text(path: Path) -> None:
    path.write_text("hello\n", encoding="utf-8")


def _corrupt(path: Path) -> None:
    """A real store whose every page but the first (the header and schema) is garbage."""
    acme_store(path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 4 * page
    data[page:] = os.urandom(len(data) - page)
    path.write_bytes(bytes(data))


def _newer(path: Path) -> None:
    acme_store(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


NOT_USABLE: dict[str, tuple[Callable[[Path], None], str]] = {
    "random bytes": (_random_bytes, "not a"),
    "a text file": (_text, "not a"),
    "a short text file": (_short_text, "not a"),
    "a corrupt store": (_corrupt, "malformed"),
    "a store from a newer colabctl": (_newer, "newer colabctl"),
}


@pytest.mark.parametrize("name", list(NOT_USABLE))
@pytest.mark.parametrize(
    "args", [*WRITES[:3], *READS], ids=lambda a: " ".join(a[2:4] if a[0] == "--as" else a)
)
def test_a_file_that_is_not_a_usable_store_is_refused_untouched(
    tmp_path: Path, name: str, args: tuple[str, ...]
) -> None:
    db = tmp_path / "store.db"
    make, words = NOT_USABLE[name]
    make(db)
    before = digest(db)
    line = one_error(colabctl(*args, db=db))
    assert words in line
    assert digest(db) == before


# -- a full disk ---------------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


DELETE = ("--as", OWNER, "profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """soporte held by 1,000 people, and how many bytes of log moving them all writes."""
    folder = tmp_path_factory.mktemp("full")
    db = folder / "template.db"
    add_holders(acme_store(db), 1000)
    sample = folder / "sample.db"
    sample.write_bytes(db.read_bytes())
    keeper = sqlite3.connect(sample)  # keeps the log from being checkpointed away
    try:
        keeper.execute("SELECT count(*) FROM users").fetchone()
        done = colabctl(*DELETE, db=sample)
        assert done.returncode == 0, done.stderr
        needed = sample.with_name("sample.db-wal").stat().st_size
    finally:
        keeper.close()
    assert needed > 64 * 1024
    return db, needed


@pytest.mark.parametrize("share", [0.0, 0.05, 0.5, 0.95])
def test_a_store_that_fills_up_mid_write_changes_nothing(
    crowded: tuple[Path, int], tmp_path: Path, share: float
) -> None:
    """The disk fills up after `share` of the write's log is written."""
    template, needed = crowded
    db = tmp_path / "store.db"
    db.write_bytes(template.read_bytes())
    before = dump(db)
    delete = DELETE

    one_error(colabctl(*delete, db=db, preexec=_file_size_limit(max(1, int(needed * share)))))
    assert dump(db) == before
    intact(db)

    # with room again, the same command does all of it
    done = colabctl(*delete, db=db)
    assert done.returncode == 0, done.stderr
    assert "moved 1001 collaborators" in done.stderr
    intact(db)


def test_a_full_disk_on_a_new_store_leaves_no_half_built_store(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    one_error(colabctl("login", OWNER, db=db, preexec=_file_size_limit(2048)))
    rows: list[Any] = []
    if db.exists() and db.stat().st_size:
        conn = sqlite3.connect(db)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "users" in tables:
                rows = conn.execute("SELECT * FROM users").fetchall()
        finally:
            conn.close()
    assert rows == []
    done = colabctl("login", OWNER, db=db)
    assert done.returncode == 0, done.stderr
    intact(db)
