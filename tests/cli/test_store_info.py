"""`colabctl store info [--json]` (docs/commands.md, "store info"; docs/json.md): engine,
location (a password never shown), schema version, rows per table, audit head."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from pgcluster import PASSWORD
from support import GENESIS, Cli, failure, ok

from colabctl.errors import ExitCode
from colabctl.store import audit, copying
from colabctl.store.db import SqliteConnection
from colabctl.store.schema import SCHEMA_VERSION

TABLE_NAMES = [
    "users",
    "accounts",
    "profiles",
    "profile_permissions",
    "memberships",
    "transfers",
    "review_acks",
    "store_bindings",
    "audit",
]


@pytest.fixture
def store(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    return path


def counted(path: Path) -> tuple[dict[str, int], tuple[int, str]]:
    """Rows per table and the head, read with a plain sqlite3 connection."""
    conn = sqlite3.connect(path, factory=SqliteConnection)
    try:
        counts = {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in TABLE_NAMES}
        return counts, audit.head(conn)
    finally:
        conn.close()


def test_json_on_sqlite(cli: Cli, store: Path) -> None:
    found = json.loads(ok(cli("--db", str(store), "store", "info", "--json")).stdout)
    counts, (seq, digest) = counted(store)
    assert found == {
        "engine": "sqlite",
        "location": str(store),
        "schema_version": SCHEMA_VERSION,
        "counts": counts,
        "head": {"seq": seq, "hash": digest},
        "db_login": None,
    }
    assert list(found["counts"]) == TABLE_NAMES
    assert counts["memberships"] > 0 and seq > 0


def test_every_table_is_counted() -> None:
    assert [t.name for t in copying.TABLES] == TABLE_NAMES


def test_the_readable_block(cli: Cli, store: Path) -> None:
    result = ok(cli("--db", str(store), "store", "info"))
    counts, (seq, digest) = counted(store)
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "engine: sqlite",
        f"location: {store}",
        f"schema version: {SCHEMA_VERSION}",
        f"audit head: {seq}:{digest}",
    ]
    cells = [[c.strip() for c in line.split("│")[1:3]] for line in lines if "│" in line]
    assert cells == [[name, str(rows)] for name, rows in counts.items()]


def test_the_default_store_from_the_environment(cli: Cli, store: Path) -> None:
    result = ok(cli("store", "info", "--json", env={"COLABCTL_DB": str(store)}))
    assert json.loads(result.stdout)["location"] == str(store)


def test_a_store_with_nothing_yet(cli: Cli, tmp_path: Path) -> None:
    """A store whose schema exists but holds no rows: zero everywhere, head at genesis."""
    path = tmp_path / "fresh.db"
    ok(cli("--db", str(path), "login", "ana.souza@example.com"))
    found = json.loads(ok(cli("--db", str(path), "store", "info", "--json")).stdout)
    assert found["counts"]["users"] == 1 and found["head"]["seq"] == 1
    empty = tmp_path / "empty.db"
    from colabctl.store.db import open_for_write

    opened = open_for_write(empty)
    with opened.transaction():
        pass
    opened.close()
    found = json.loads(ok(cli("--db", str(empty), "store", "info", "--json")).stdout)
    assert set(found["counts"].values()) == {0}
    assert found["head"] == {"seq": 0, "hash": GENESIS}


def test_a_missing_store_is_3_and_not_created(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    error, hint = failure(cli("--db", str(path), "store", "info"), ExitCode.NOT_FOUND)
    assert error == f"error: no store at {path}"
    assert hint is not None and "colabctl demo" in hint
    assert not path.exists()
    failure(cli("--db", str(path), "store", "info", "--json"), ExitCode.NOT_FOUND)
    assert not path.exists()


@pytest.mark.postgres
def test_info_on_postgresql_hides_the_password(cli: Cli, store: Path, pg_url: str) -> None:
    assert PASSWORD in pg_url  # the fixture's URL carries one
    result = cli("--db", pg_url, "store", "info")
    error, _ = failure(result, ExitCode.NOT_FOUND)  # an empty schema holds no store yet
    assert PASSWORD not in result.stderr and "***" in error
    ok(cli("store", "copy", str(store), pg_url))
    result = ok(cli("--db", pg_url, "store", "info", "--json"))
    assert PASSWORD not in result.stdout + result.stderr
    found = json.loads(result.stdout)
    counts, (seq, digest) = counted(store)
    assert found == {
        "engine": "postgresql",
        "location": pg_url.replace(PASSWORD, "***"),
        "schema_version": SCHEMA_VERSION,
        "counts": counts,
        "head": {"seq": seq, "hash": digest},
        "db_login": "postgres",
    }
    text = ok(cli("--db", pg_url, "store", "info"))
    assert PASSWORD not in text.stdout + text.stderr
    assert "engine: postgresql" in text.stdout and "database login: postgres" in text.stdout
