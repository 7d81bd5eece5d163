"""Mistakes that must never cost data (issue 9, items 1-3): `demo --db` replaces only a
demo store it built, `-o FILE` never replaces the store or any database and is written
atomically, and a usage error always exits 2 (never 1, which a script reads as "no").

SQLite only: the demo file and `-o` over the store file."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from support import ACME, OWNER, Cli, as_owner, dump, failure, ok, refused
from typer.testing import Result


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


# -- demo --db PATH ---------------------------------------------------------------------------


@pytest.mark.engines("sqlite")  # the store as a file the demo must not replace
def test_demo_refuses_to_replace_a_real_store(cli: Cli, legal_account: str, db_path: Path) -> None:
    before = _bytes(db_path)
    line, _ = failure(cli("demo", "--db", str(db_path)), 4, hint="--db")
    assert str(db_path) in line and "left untouched" in line
    assert _bytes(db_path) == before
    ok(cli(*as_owner("profile", "show", "soporte", "-a", ACME)))


@pytest.mark.parametrize(
    "content",
    [b"my notes\n", b"SQLite format 3\x00 but not really", b"\x00" * 4096],
    ids=["text", "fake-header", "zeros"],
)
def test_demo_refuses_to_replace_any_other_file(cli: Cli, tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "notes.db"
    target.write_bytes(content)
    failure(cli("demo", "--db", str(target)), 4)
    assert target.read_bytes() == content


def test_demo_refuses_another_sqlite_database(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "other.db"
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE audit (seq INTEGER, action TEXT)")  # even one named like ours
    conn.execute("INSERT INTO audit VALUES (1, 'user.create')")
    conn.commit()
    conn.close()
    before = dump(target)
    failure(cli("demo", "--db", str(target)), 4)
    assert dump(target) == before


def test_demo_refuses_a_folder(cli: Cli, tmp_path: Path) -> None:
    failure(cli("demo", "--db", str(tmp_path)), 4)


def test_demo_rebuilds_its_own_store_even_after_use(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    ok(cli("demo", "--db", str(target)))
    first = sqlite3.connect(target)
    try:
        assert first.execute("SELECT action, actor FROM audit ORDER BY seq LIMIT 1").fetchone() == (
            "demo.build",
            None,
        )
    finally:
        first.close()
    # the tour writes to it; it is still a demo, and demo builds it afresh
    tour = ("--db", str(target), "--as", OWNER)
    ok(cli(*tour, "profile", "delete", "financiero", "-a", ACME, "--reassign", "soporte"))
    ok(cli("demo", "--db", str(target)))
    conn = sqlite3.connect(target)
    try:
        count = "SELECT count(*) FROM profiles WHERE name = 'financiero'"
        assert conn.execute(count).fetchone()[0] == 1  # back in acme-cursos
        assert (
            conn.execute("SELECT count(*) FROM audit WHERE action = 'profile.delete'").fetchone()[0]
            == 0
        )
    finally:
        conn.close()
    ok(cli("--db", str(target), "audit", "verify"))


def test_demo_takes_an_empty_or_blank_file(cli: Cli, tmp_path: Path) -> None:
    """What a demo killed before its first commit leaves: an empty file, or an SQLite file
    with no schema. Nothing is lost by replacing it, and demo must be able to rebuild."""
    empty = tmp_path / "empty.db"
    empty.touch()
    ok(cli("demo", "--db", str(empty)))
    blank = tmp_path / "blank.db"
    conn = sqlite3.connect(blank)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    ok(cli("demo", "--db", str(blank)))


# -- -o FILE ----------------------------------------------------------------------------------


def _export(cli: Cli, *out: str) -> Result:
    return cli(*as_owner("profile", "export", "soporte", "-a", ACME, *out))


@pytest.mark.engines("sqlite")  # the store as a file an output must not replace
def test_export_never_replaces_the_store(cli: Cli, legal_account: str, db_path: Path) -> None:
    before = _bytes(db_path)
    export = as_owner("profile", "export", "soporte", "-a", ACME)
    refused(cli, db_path, 4, *export, "-o", str(db_path))
    assert _bytes(db_path) == before
    # nor by another spelling of it, a link to it, or its write-ahead log
    link = db_path.with_name("link.db")
    link.symlink_to(db_path)
    other = f"{db_path.parent}/./{db_path.name}"
    for target in (str(link), other, f"{db_path}-wal", f"{db_path}-shm"):
        failure(_export(cli, "-o", target), 4)
    assert _bytes(db_path) == before
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").read_bytes()[:4] in (
        b"\x37\x7f\x06\x82",
        b"\x37\x7f\x06\x83",
    )
    ok(cli(*as_owner("profile", "show", "soporte", "-a", ACME)))


def test_export_never_replaces_another_database(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = _bytes(other)
    failure(_export(cli, "-o", str(other)), 4)
    assert _bytes(other) == before


def test_a_database_url_is_not_a_file(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    line, _ = failure(_export(cli, "-o", "postgresql://ana:s3cret@db.example.com/acme"), 4)
    assert "PostgreSQL database" in line and "s3cret" not in line
    assert sorted(tmp_path.iterdir()) == before  # not even a folder "postgresql:"


def test_dash_is_stdout(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = ok(_export(cli, "-o", "-"))
    assert result.stdout.startswith('name = "soporte"\n')
    assert not (tmp_path / "-").exists()


def test_export_writes_the_file(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    target = tmp_path / "soporte.toml"
    target.write_text("old\n")
    target.chmod(0o640)
    result = ok(_export(cli, "-o", str(target)))
    assert result.stdout == ""
    assert target.read_text().startswith('name = "soporte"\n')
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failed_write_exits_6_naming_the_file(cli: Cli, legal_account: str) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    line, _ = failure(_export(cli, "-o", "/dev/full"), 6)
    assert "/dev/full" in line


def test_a_failed_write_leaves_the_old_file_whole(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomic: the new text goes to a temporary file first; when that fails (here: fsync
    reports a full disk), the old file is as it was and no temporary file is left."""
    target = tmp_path / "out" / "soporte.toml"
    target.parent.mkdir()
    target.write_text("the previous export\n")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    line, _ = failure(_export(cli, "-o", str(target)), 6)
    assert str(target) in line and "No space left" in line
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in target.parent.iterdir()] == ["soporte.toml"]


def test_export_into_a_missing_folder_creates_it(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    ok(_export(cli, "-o", str(tmp_path / "no" / "x.toml")))
    assert (tmp_path / "no" / "x.toml").is_file()


def test_export_where_a_file_stands_for_a_folder_exits_6(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    (tmp_path / "no").write_text("a file\n")
    line, _ = failure(_export(cli, "-o", str(tmp_path / "no" / "x.toml")), 6)
    assert "no/x.toml" in line


# -- usage errors exit 2 ----------------------------------------------------------------------


@pytest.fixture
def checks(tmp_path: Path) -> str:
    path = tmp_path / "checks.jsonl"
    line = {"user": OWNER, "account": ACME, "permission": "products.view"}
    path.write_text(json.dumps(line) + "\n")
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["can"],
        ["can", "bea@example.com"],
        ["can", "-a", ACME],
        ["can", "bea@example.com", "products.view", "--batch", "{checks}"],
        ["can", "--batch", "{checks}", "--any"],
        ["can", "--batch", "{checks}", "-q"],
        ["can", "--batch", "{checks}", "--quiet"],
        ["can", "--batch", "{checks}", "--explain"],
        ["can", "--batch", "{checks}", "-a", ACME],
        ["can", "--nope"],
        ["who-can", "products.view", "--all-accounts", "-a", ACME],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(cli: Cli, legal_account: str, checks: str, args: list[str]) -> None:
    result = cli(*as_owner(*[checks if a == "{checks}" else a for a in args]))
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "Usage:" in result.stderr
