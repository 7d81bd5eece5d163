"""Every other writer waits while one holds the write lock, so a writer loads its code
before it takes the lock: the audit chain's module (and hashlib, which it needs) is
imported by `writing()` first, not by the first `s.record()` under the lock. On
PostgreSQL each statement under the lock is a round trip already; an import there
costs every waiting writer too (bench/postgres.py, writers).

Engines: both, each engine's transaction watched in its own test."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FakeClock, process_env, python

from colabctl.core import accounts, profiles, users
from colabctl.core.session import Context

pytestmark = pytest.mark.slow  # starts a process per command

OWNER = "ana@example.com"

# Run a command in this process, noting every import made while the store's write
# transaction is open (both engines' transaction(), wrapped).
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
print(code, ",".join(found))
"""


def _store(db: str, clock: FakeClock) -> None:
    users.register(Context(db=db, clock=clock), OWNER)
    owner = Context(db=db, actor=OWNER, clock=clock)
    accounts.create(owner, "acme-cursos", "Acme", tax_id="11.222.333/0001-81", country="BR")
    profiles.create(owner, "equipo", perms=["products.view"], account="acme-cursos")


def _imports_under_lock(db: str, *command: str) -> list[str]:
    env = process_env(None, {"COLABCTL_DB": db})
    done = python("-c", _PROBE, "--as", OWNER, *command, env=env)
    code, _, modules = done.stdout.strip().rpartition("\n")[2].partition(" ")
    assert code == "0", done.stdout + done.stderr
    return [m for m in modules.split(",") if m]


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
