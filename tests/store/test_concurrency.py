"""Concurrent writers (docs/storage.md): 8 workers x 50 real `colabctl` processes against
one store file. No operation may fail for a lock, every acknowledged change must be in the
final store, the audit log must hold one row per acknowledged mutation (none for no-ops),
in each worker's own order, and the file must come out intact.

The workload is bench/concurrency.py's (run it standalone for the figures); this test
asserts outcomes only, never timings.

SQLite only: one store file. The same 8 x 50 writers on PostgreSQL:
tests/store/test_pg_store.py.

Engines: SQLite only: concurrent writers on one file (PostgreSQL's 8 x 50 writers:
tests/store/test_pg_store.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import ROOT, python

pytestmark = pytest.mark.slow  # 400 colabctl processes, and more

BENCH_FILE = ROOT / "bench" / "concurrency.py"
PROCESSES = 8
OPERATIONS = 50


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("colabctl_bench_concurrency", BENCH_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


class Run:
    def __init__(self, db: Path, setup_rows: int, outcomes: list[Any]) -> None:
        self.db = db
        self.setup_rows = setup_rows
        self.outcomes = outcomes

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.db)
        try:
            return [tuple(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    @property
    def acknowledged(self) -> list[Any]:
        return [o for o in self.outcomes if o.exit_code == 0]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    db = tmp_path_factory.mktemp("concurrency") / "store.db"
    bench.setup(db)
    setup_rows = bench.audit_count(db)
    outcomes = bench.run(db, PROCESSES, OPERATIONS)
    assert len(outcomes) == PROCESSES * OPERATIONS
    return Run(db, setup_rows, outcomes)


def _describe(outcome: Any) -> str:
    return f"{' '.join(outcome.op.args)} -> {outcome.exit_code}: {outcome.stderr.strip()}"


def test_no_operation_failed_for_a_lock(run: Run) -> None:
    locked = [
        _describe(o) for o in run.outcomes if o.exit_code == 7 or "locked" in o.stderr.lower()
    ]
    assert locked == []


def test_every_operation_did_what_it_was_planned_to(run: Run) -> None:
    wrong = [_describe(o) for o in run.outcomes if o.exit_code != 0 or "Traceback" in o.stderr]
    assert wrong == []
    # a no-op says so; a change does not
    for outcome in run.outcomes:
        said_no_op = any(
            word in outcome.stderr for word in ("nothing to do", "already", "unchanged")
        )
        assert said_no_op == (outcome.op.action is None), _describe(outcome)
    assert sum(o.op.action is None for o in run.outcomes) > 0


def test_one_audit_row_per_acknowledged_mutation(run: Run) -> None:
    mutations = [o.op for o in run.acknowledged if o.op.action is not None]
    rows = run.query("SELECT seq, action, account, target, details FROM audit ORDER BY seq")
    new = rows[run.setup_rows :]
    assert len(new) == len(mutations)
    assert Counter((a, acc, t) for _, a, acc, t, _ in new) == Counter(
        (op.action, op.account, op.target) for op in mutations
    )


def _toggled(op_or_details: Any) -> tuple[str, str] | None:
    """('--add' or '--remove', permission) for a permission edit, from its op or its row."""
    if isinstance(op_or_details, dict):
        for key, flag in (("added", "--add"), ("removed", "--remove")):
            for perm in op_or_details.get(key) or []:
                return flag, perm
        return None
    args = op_or_details.args
    for flag in ("--add", "--remove"):
        if "edit" in args and flag in args:
            return flag, args[args.index(flag) + 1]
    return None


def test_each_workers_rows_are_in_its_own_order(run: Run) -> None:
    """A worker runs its operations one after another: their rows must follow that order."""
    mutations = [o.op for o in run.acknowledged if o.op.action is not None]
    rows = run.query("SELECT action, target, details FROM audit ORDER BY seq")[run.setup_rows :]
    for worker in range(PROCESSES):
        mine = [op for op in mutations if op.worker == worker]
        people = {op.target for op in mine if "@" in op.target}
        perm = bench.TOGGLED[worker]
        planned = [
            (op.action, op.target) if op.target in people else _toggled(op)
            for op in mine
            if op.target in people or (_toggled(op) or ("", ""))[1] == perm
        ]
        logged = [
            (action, target) if target in people else _toggled(json.loads(details))
            for action, target, details in rows
            if target in people or (_toggled(json.loads(details)) or ("", ""))[1] == perm
        ]
        assert logged == planned, worker
        assert len(planned) > OPERATIONS // 2


def test_profile_edits_replay_to_the_final_profile(run: Run) -> None:
    """Replaying the audit log's serial history of `equipo` gives the stored profile, and
    each worker's last acknowledged toggle of its own permission is what stuck."""
    for slug, *_ in bench.ACCOUNTS:
        held: set[str] = set()
        description = ""
        for (details,) in run.query(
            "SELECT details FROM audit WHERE account = ? AND action IN"
            " ('profile.create', 'profile.edit') AND target = ? ORDER BY seq",
            (slug, bench.SHARED),
        ):
            change = json.loads(details)
            held |= set(change.get("permissions") or [])  # profile.create
            held |= set(change.get("added") or [])
            held -= set(change.get("removed") or [])
            if change.get("description") is not None:
                description = change["description"]
        stored = {
            p
            for (p,) in run.query(
                "SELECT pp.permission FROM profile_permissions pp"
                " JOIN profiles p ON p.id = pp.profile_id JOIN accounts a ON a.id = p.account_id"
                " WHERE a.slug = ? AND p.name = ?",
                (slug, bench.SHARED),
            )
        }
        assert bench.BASE_PERMISSION in held
        assert stored == held
        ((stored_description,),) = run.query(
            "SELECT p.description FROM profiles p JOIN accounts a ON a.id = p.account_id"
            " WHERE a.slug = ? AND p.name = ?",
            (slug, bench.SHARED),
        )
        assert stored_description == description

    last_toggle: dict[tuple[str, str], bool] = {}
    for outcome in run.acknowledged:
        toggle = _toggled(outcome.op)
        if toggle is not None:
            last_toggle[(outcome.op.account, toggle[1])] = toggle[0] == "--add"
    assert len(last_toggle) == PROCESSES
    assert set(last_toggle.values()) == {True, False}  # the design leaves both kinds
    for (slug, perm), expected in last_toggle.items():
        found = run.query(
            "SELECT 1 FROM profile_permissions pp JOIN profiles p ON p.id = pp.profile_id"
            " JOIN accounts a ON a.id = p.account_id"
            " WHERE a.slug = ? AND p.name = ? AND pp.permission = ?",
            (slug, bench.SHARED, perm),
        )
        assert bool(found) == expected, (slug, perm)


def test_every_acknowledged_invitation_and_change_is_present(run: Run) -> None:
    expected: dict[str, dict[str, str]] = defaultdict(dict)
    for outcome in run.acknowledged:
        op = outcome.op
        if op.action == "invitation.create":
            expected[op.target] = {"account": op.account, "profile": op.args[5]}
            expected[op.target]["status"] = "pending"
        elif op.action == "invitation.accept":
            expected[op.target]["status"] = "active"
        elif op.action == "collaborator.set_profile":
            expected[op.target]["profile"] = op.args[5]
        elif op.action == "collaborator.remove":
            expected[op.target]["status"] = "revoked"
    assert len(expected) == PROCESSES * OPERATIONS // 10 * 2
    found = {
        email: {"account": slug, "profile": profile, "status": status}
        for email, slug, profile, status in run.query(
            "SELECT u.email, a.slug, p.name, m.status FROM memberships m"
            " JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id"
            " LEFT JOIN profiles p ON p.id = m.profile_id"
        )
    }
    assert found == dict(expected)
    # one membership row per person: no retry ever created a duplicate
    assert run.query("SELECT count(*) FROM memberships") == [(len(expected),)]


def test_the_bench_counts_no_failure_and_no_lost_update(run: Run) -> None:
    report = bench.check(run.db, run.outcomes, run.setup_rows, PROCESSES)
    assert [_describe(o) for o in report.failures] == []
    assert report.lost == []
    assert report.audit_rows == report.acknowledged_mutations


def test_the_store_comes_out_intact(run: Run) -> None:
    assert run.query("PRAGMA integrity_check") == [("ok",)]
    assert run.query("PRAGMA foreign_key_check") == []
    verified = bench.colabctl(run.db, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["intact"] is True


# -- the write lock is held only for the write -------------------------------------------------

_PROBE = r"""
import sqlite3, sys
db = sys.argv[1]
probe = sqlite3.connect(db, timeout=0, isolation_level=None)
under_lock, inside = [], [False]

def hook(event, args):
    # On every import: is some connection holding the store's write lock right now?
    if event != "import" or inside[0]:
        return
    inside[0] = True
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError:
        under_lock.append(args[0])
    finally:
        inside[0] = False

sys.addaudithook(hook)
from colabctl.cli import main
code = 0
try:
    main(sys.argv[2:])
except SystemExit as done:
    code = done.code
print(code, ",".join(under_lock))
"""


@pytest.fixture(scope="module")
def probe_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("probe") / "template.db"
    bench.setup(db)
    invite = ("invite", "zoe@example.com", "--profile", "tecnico", "-a", "acme-cursos")
    invited = bench.colabctl(db, "--as", bench.OWNER, *invite)
    assert invited.returncode == 0, invited.stderr
    return db


@pytest.mark.parametrize(
    "command",
    [
        ("invite", "yara@example.com", "--profile", "soporte", "-a", "acme-cursos"),
        ("profile", "edit", "equipo", "--add", "withdrawal.withdraw", "-a", "acme-cursos"),
        ("collaborator", "remove", "zoe@example.com", "-a", "acme-cursos"),
    ],
)
def test_no_heavy_import_while_holding_the_write_lock(
    tmp_path: Path, probe_template: Path, command: tuple[str, ...]
) -> None:
    """Every other writer waits while one holds the lock: importing sqlite-utils and its
    tree (~80 ms, click, pluggy, dateutil) then would be paid by all of them."""
    db = tmp_path / "probe.db"
    shutil.copyfile(probe_template, db)  # closed cleanly: no -wal to copy
    env = bench.environment(db)
    done = python("-c", _PROBE, str(db), "--as", bench.OWNER, *command, env=env)
    code, _, modules = done.stdout.strip().rpartition("\n")[2].partition(" ")
    assert code == "0", done.stdout + done.stderr
    heavy = [
        m
        for m in modules.split(",")
        if m.split(".")[0] in ("sqlite_utils", "click", "pluggy", "dateutil", "sqlite_fts4")
    ]
    assert heavy == [], f"imported under the write lock: {modules}"
