"""What a command imports, watched from inside its process.

Every other writer waits while one holds the write lock, so a writer loads its code
before it takes the lock: the audit chain's module (and hashlib, which it needs) is
imported by `writing()` first, not by the first `s.record()` under the lock. On
PostgreSQL each statement under the lock is a round trip already; an import there
costs every waiting writer too (bench/postgres.py, writers).

And writes start fast (README, Performance; bench/cold_start.py): on a store already at
this colabctl's schema, a write and a table read use the standard library's sqlite3
alone. sqlite-utils (~80 ms to import) and the migrations come in only to create or
bring forward a store; nor does a write load a TOML parser (the wheel carries the
catalog and the shipped rules as JSON), the review (a profile's warnings need only the
separation-of-duties rules) or the presets.

Engines: both, each engine's transaction watched in its own test; the start-up tests
are SQLite's (a PostgreSQL store never loads sqlite-utils)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import NamedTuple

import pytest
from support import FakeClock, process_env, python

from colabctl.core import accounts, collaborators, profiles, users
from colabctl.core.session import Context
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.slow  # starts a process per command

OWNER = "ana@example.com"

# Run a command in this process, noting every import made while the store's write
# transaction is open (both engines' transaction(), wrapped), and every module loaded
# by its end.
_PROBE = r"""
import sys
from contextlib import contextmanager

inside, found = [False], []


def hook(event, args):
    if event == "import" and inside[0]:
        found.append(args[0])


sys.addaudithook(hook)
from colabctl.store import db, postgres

def watched(original):
    @contextmanager
    def transaction(self):
        with original(self) as value:
            inside[0] = True
            try:
                yield value
            finally:
                inside[0] = False
    return transaction

db.SqliteStore.transaction = watched(db.SqliteStore.transaction)
postgres.PgStore.transaction = watched(postgres.PgStore.transaction)
from colabctl.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
import json
print(json.dumps({"code": code, "under_lock": found, "loaded": sorted(sys.modules)}))
"""


def _store(db: str, clock: FakeClock) -> None:
    users.register(Context(db=db, clock=clock), OWNER)
    owner = Context(db=db, actor=OWNER, clock=clock)
    accounts.create(owner, "acme-cursos", "Acme", tax_id="11.222.333/0001-81", country="BR")
    profiles.create(owner, "equipo", perms=["products.view"], account="acme-cursos")
    collaborators.invite(owner, "bob@example.com", profile="equipo", account="acme-cursos")


class Probed(NamedTuple):
    code: int
    under_lock: list[str]  # modules imported while the write lock was held
    loaded: set[str]  # every module loaded by the command's end
    stderr: str
    shown: str  # what it printed on stdout


def _probe(
    db: str, *command: str, site: Path | None = None, env: dict[str, str] | None = None
) -> Probed:
    """COMMAND run as OWNER in a process of its own; SITE: the installed wheel's, not
    this checkout's; ENV: more of the environment."""
    extra = {"COLABCTL_DB": db, **(env or {})} | ({"PYTHONPATH": str(site)} if site else {})
    done = python("-c", _PROBE, "--as", OWNER, *command, env=process_env(None, extra))
    shown, _, last = done.stdout.strip().rpartition("\n")
    found = json.loads(last)
    return Probed(found["code"], found["under_lock"], set(found["loaded"]), done.stderr, shown)


def _imports_under_lock(db: str, *command: str) -> list[str]:
    probed = _probe(db, *command)
    assert probed.code == 0, probed
    return probed.under_lock


COMMANDS = [
    ("profile", "edit", "equipo", "--description", "new words", "-a", "acme-cursos"),
    ("profile", "edit", "equipo", "--add", "withdrawal.withdraw", "-a", "acme-cursos"),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_no_audit_code_is_loaded_under_the_lock_sqlite(
    tmp_path: Path, clock: FakeClock, command: tuple[str, ...]
) -> None:
    db = str(tmp_path / "store.db")
    _store(db, clock)
    loaded = _imports_under_lock(db, *command)
    assert [m for m in loaded if m.startswith(("colabctl", "hashlib", "_hashlib"))] == []


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS)
def test_no_audit_code_is_loaded_under_the_lock_postgresql(
    pg_url: str, clock: FakeClock, command: tuple[str, ...]
) -> None:
    _store(pg_url, clock)
    loaded = _imports_under_lock(pg_url, *command)
    assert [m for m in loaded if m.startswith(("colabctl", "hashlib", "_hashlib"))] == []


# -- writes that start fast -------------------------------------------------------------

# Loaded only to create a store or bring one forward.
MIGRATING = {"sqlite_utils", "colabctl.store.migrations"}
# What no command on a current store loads, from the installed wheel.
NEVER = MIGRATING | {"tomllib"}
# What a profile's write needs of neither: its warnings read the separation-of-duties
# rules alone (core/sod.py), and only `profile create --preset/--from` reads a preset.
NOT_FOR_A_PROFILE_EDIT = {"colabctl.core.review", "colabctl.core.presets"}

ON_A_CURRENT_STORE = [
    pytest.param(COMMANDS[0], NEVER | NOT_FOR_A_PROFILE_EDIT, "", id="profile-edit"),
    # a pair the shipped rules keep apart: the warning reads the rules
    pytest.param(
        (*COMMANDS[1], "--add", "purchases.request_refunds"),
        NEVER | NOT_FOR_A_PROFILE_EDIT,
        "withdraw-and-refund",
        id="profile-edit-warns",
    ),
    pytest.param(
        ("invite", "cara@example.com", "--profile", "equipo", "-a", "acme-cursos"),
        NEVER,
        "",
        id="invite",
    ),
    pytest.param(("collaborator", "list", "-a", "acme-cursos"), NEVER, "", id="collaborator-list"),
]


@pytest.mark.parametrize(("command", "never", "warned"), ON_A_CURRENT_STORE)
def test_a_current_store_is_written_and_read_without_sqlite_utils(
    tmp_path: Path,
    clock: FakeClock,
    installed: Path,
    command: tuple[str, ...],
    never: set[str],
    warned: str,
) -> None:
    db = str(tmp_path / "store.db")
    _store(db, clock)
    probed = _probe(db, *command, site=installed)
    assert probed.code == 0, probed
    assert {m for m in probed.loaded if m.split(".")[0] in never or m in never} == set()
    assert "colabctl.store.db" in probed.loaded  # the probe sees what the command loaded
    assert warned in probed.stderr


# rich's console and its table: a table read draws without them (cli/boxes.py draws in
# rich's box), piped or on a terminal; only rich's cell measures come in.
RICH_DRAWING = {"rich.console", "rich.table", "rich.text", "rich.segment", "rich.style"}


@pytest.mark.parametrize(
    "env", [{}, {"FORCE_COLOR": "1", "TERM": "xterm"}], ids=["piped", "styled"]
)
def test_a_table_read_draws_without_rich_console(
    tmp_path: Path, clock: FakeClock, installed: Path, env: dict[str, str]
) -> None:
    """The other side of the table read's claim: its table is drawn (cli/boxes.py loaded:
    the probe sees the drawing), by the same probe that finds no sqlite-utils, and neither
    rich's console nor its table is loaded to draw it, with or without styles."""
    db = str(tmp_path / "store.db")
    _store(db, clock)
    probed = _probe(db, "collaborator", "list", "-a", "acme-cursos", site=installed, env=env)
    assert probed.code == 0 and "colabctl.cli.boxes" in probed.loaded, probed
    assert ("\x1b[1m" in probed.shown) == bool(env)  # bold headers where styled
    assert probed.loaded & RICH_DRAWING == set()


def _at_schema_3(path: Path) -> None:
    """A store as colabctl wrote it three migrations in: tables, no rows."""
    from sqlite_utils import Database

    from colabctl.store.migrations import migrations

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrations.apply(Database(conn), stop_before="m004_audit_head")
    finally:
        conn.close()


@pytest.mark.parametrize("start", ["none", "older"])
def test_a_store_to_create_or_bring_forward_loads_the_migrations(
    tmp_path: Path, installed: Path, start: str
) -> None:
    """No store yet, or one at an older schema: the first write creates or migrates it
    (with sqlite-utils), in the same transaction as its change."""
    path = tmp_path / "store.db"
    if start == "older":
        _at_schema_3(path)
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    probed = _probe(str(path), "login", OWNER, site=installed)
    assert probed.code == 0, probed
    assert probed.loaded >= MIGRATING
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT email FROM users").fetchall() == [(OWNER,)]
    finally:
        conn.close()
