"""A store on read-only media (issue 9, item 11; docs/storage.md): a backup or CI artifact
in a folder nobody can write, with no -wal/-shm beside it, can be read (`can`, `matrix`,
`collaborator list`, `audit verify`), through an immutable read-only open used only
there; a write exits 7 saying the store is read-only, and changes nothing.

The folder is made read-only with `chattr +i` (immutable: refused even to root, which CI
runs as, where a chmod stops nothing), or with chmod when not root. Where neither is
possible the tests skip and say so.

Engines: SQLite only: read-only media are a file's matter.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ACME, BRUNO, OWNER, Cli, dump, failure, ok

# chattr runs as a process; the demo is built for each test
pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]


def _lock(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make a folder read-only as root here (chattr: {done.stderr!r})")


def _unlock(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)


@pytest.fixture
def media(cli: Cli, tmp_path: Path) -> Iterator[Path]:
    """The demo store, closed cleanly (no -wal, no -shm), in a folder made read-only."""
    if shutil.which("chattr") is None and os.geteuid() == 0:
        pytest.skip("no chattr: cannot make a folder read-only as root")
    folder = tmp_path / "backup"
    folder.mkdir()
    db = folder / "colabctl.db"
    ok(cli("demo", "--db", str(db)))
    shutil.rmtree(folder / "demo-policy")  # the demo's sample tests: not part of a backup
    assert sorted(p.name for p in folder.iterdir()) == ["colabctl.db"]
    _lock(folder)
    try:
        with pytest.raises(OSError):
            (folder / "probe").touch()
        yield db
    finally:
        _unlock(folder)


def _bytes(db: Path) -> bytes:
    return db.read_bytes()


def test_reads_work_on_read_only_media(cli: Cli, media: Path) -> None:
    before = _bytes(media)
    owner = ("--db", str(media), "--as", OWNER)
    assert ok(cli(*owner, "can", BRUNO, "products.view", "-a", ACME)).stdout == "yes\n"
    ok(cli(*owner, "can", BRUNO, "withdrawal.withdraw", "-a", ACME), 1)
    grid = json.loads(ok(cli(*owner, "matrix", "-a", ACME, "--json")).stdout)
    assert BRUNO in grid["grants"]
    people = json.loads(ok(cli(*owner, "collaborator", "list", "-a", ACME, "--json")).stdout)
    assert len(people) == 4
    assert ok(cli("--db", str(media), "audit", "verify")).stdout.startswith("intact: ")
    assert _bytes(media) == before
    assert sorted(p.name for p in media.parent.iterdir()) == ["colabctl.db"]


def test_a_write_on_read_only_media_exits_7_and_says_why(cli: Cli, media: Path) -> None:
    before = _bytes(media)
    invite = ("--db", str(media), "--as", OWNER, "invite", "x@example.com", "-p", "soporte")
    line, hint = failure(cli(*invite, "-a", ACME), 7)
    assert "read-only" in line and str(media) in line
    assert hint is not None and "copy" in hint
    assert _bytes(media) == before


def test_no_immutable_read_past_a_write_ahead_log(cli: Cli, tmp_path: Path) -> None:
    """A -wal beside the store holds changes an immutable open would not see: then the
    store is not read at all (exit 7), rather than answered from stale pages."""
    source = tmp_path / "live.db"
    ok(cli("demo", "--db", str(source)))
    folder = tmp_path / "snapshot"
    folder.mkdir()
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE users SET name = 'Bruno C.' WHERE email = ?", (BRUNO,))
    writer.commit()
    shutil.copyfile(source, folder / "colabctl.db")
    shutil.copyfile(f"{source}-wal", folder / "colabctl.db-wal")
    writer.close()
    if shutil.which("chattr") is None and os.geteuid() == 0:
        pytest.skip("no chattr: cannot make a folder read-only as root")
    _lock(folder)
    try:
        db = folder / "colabctl.db"
        result = cli("--db", str(db), "--as", OWNER, "can", BRUNO, "products.view", "-a", ACME)
        line, _ = failure(result, 7)
        assert "-wal" in line
    finally:
        _unlock(folder)
    assert dump(folder / "colabctl.db")  # still a readable store once the folder is writable
