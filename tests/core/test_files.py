"""core/files.py: the one capped reader (no file is read forever, a folder is refused)
and the one writer (every output whole or not at all, never over the store or any
SQLite database, staged until the command ends).

Engines: none: no store is opened; the SQLite files here are what the writer must not
replace."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from colabctl.core.files import read_capped, settle, write_atomically, write_file
from colabctl.errors import Conflict, Invalid


@pytest.fixture(autouse=True)
def nothing_staged() -> Iterator[None]:
    """A test leaves no staged output behind for the next one."""
    yield
    settle(keep=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- reading ----------------------------------------------------------------------------------


def test_a_file_is_read_up_to_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_bytes(b"x" * 1_000_000)
    assert read_capped(path, "team.toml", limit=1_000_000, what="a team file") == b"x" * 1_000_000
    path.write_bytes(b"x" * 1_000_001)
    with pytest.raises(Invalid) as caught:
        read_capped(path, "team.toml", limit=1_000_000, what="a team file")
    assert caught.value.message == "team.toml: too large for a team file (more than 1 MB)"


def test_an_endless_file_is_refused_at_once() -> None:
    with pytest.raises(Invalid, match="too large \\(more than 1 MB\\)"):
        read_capped(Path("/dev/zero"), "/dev/zero", limit=1_000_000, what="")


def test_a_folder_or_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "none.toml"):
        with pytest.raises(Invalid) as caught:
            read_capped(path, "it", limit=10, what="a preset")
        assert caught.value.message.startswith("it: cannot read: ")


def test_no_path_is_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"version = 1\n")))
    assert read_capped(None, "<stdin>", limit=100, what="a team file") == b"version = 1\n"


# -- writing ----------------------------------------------------------------------------------


def test_a_file_is_written_whole_its_folders_made(tmp_path: Path) -> None:
    target = tmp_path / "out" / "deep" / "plan.json"
    write_file(target, b"{}\n", store=None)
    assert target.read_bytes() == b"{}\n"
    write_file(target, b"[]\n", store=None)
    assert target.read_bytes() == b"[]\n"
    assert leftovers(target.parent) == []  # no temporary file left beside it


def test_the_store_and_any_sqlite_database_are_never_replaced(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    other = tmp_path / "other.sqlite"
    for db in (store, other):
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE t (x)")  # a database, with its header
        conn.close()
    (tmp_path / "other.sqlite-wal").write_bytes(b"")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for target in (
        store,
        Path(f"{store}-wal"),
        tmp_path / "." / "store.db",
        other,
        Path(f"{other}-wal"),
    ):
        with pytest.raises(Conflict) as caught:
            write_file(target, b"oops", store=store)
        assert caught.value.message.endswith(
            "is the store or another SQLite database (or one of its files); it was left untouched"
        )
    with pytest.raises(Conflict, match="names a PostgreSQL database"):
        write_file("postgresql:/host/db", b"oops", store=store)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_stream_is_written_in_place() -> None:
    write_file("/dev/null", b"gone", store=None)  # not a regular file: no rename over it


def test_a_target_that_cannot_be_written_says_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_bytes(b"")
    with pytest.raises(Invalid) as caught:
        write_file(tmp_path / "a-file" / "out.json", b"{}", store=None)
    assert caught.value.message.startswith(f"cannot write {tmp_path / 'a-file' / 'out.json'}: ")
    with pytest.raises(Invalid, match="it is a folder"):
        write_file(tmp_path, b"{}", store=None)


def test_a_staged_output_appears_only_when_the_command_ends_well(tmp_path: Path) -> None:
    kept = tmp_path / "new" / "kept.json"
    write_file(kept, b"1", store=None, staged=True)
    assert not kept.exists()
    settle(keep=True)
    assert kept.read_bytes() == b"1"
    dropped = tmp_path / "other" / "deeper" / "dropped.json"
    write_file(dropped, b"2", store=None, staged=True)
    settle(keep=False)
    assert not (tmp_path / "other").exists()  # the folders made for it are gone too
    assert leftovers(kept.parent) == []


def test_write_atomically_keeps_or_sets_the_permissions(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    write_atomically(path, b"a = 1\n", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o640)
    write_atomically(path, b"a = 2\n")
    assert (path.read_bytes(), stat.S_IMODE(path.stat().st_mode)) == (b"a = 2\n", 0o640)
    assert leftovers(tmp_path) == []
