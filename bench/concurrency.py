"""Concurrent writers on one store: N workers, each running M real `colabctl` processes
one after another, all workers at once, against the same SQLite file (or PostgreSQL
database: bench/postgres.py runs this workload on both engines).

    python bench/concurrency.py [--processes 8] [--ops 50] [--db PATH]

Prints processes x operations, failures (and how many were lock failures), lost updates
(acknowledged changes missing from the final store), audit rows against acknowledged
mutations, and p50/p99 wall time per operation. tests/store/test_concurrency.py runs
this same workload and asserts on its outcome, never on its timings.

The workload (per worker w, in blocks of ten operations, on the shared account w % 2):
invite a new person, add the worker's own permission to the shared profile `equipo`,
invite the same person again (a no-op), accept as that person, move them to `tecnico`,
move them again (a no-op), remove the worker's permission from `equipo`, invite a second
person, remove that person, and a last operation that is a description edit, a no-op edit
or (last block, even workers) adding the permission back, so final states differ.
Every worker writes to the same account and the same profile as three others; each
touches only its own people and its own permission, so the expected final state follows
from each worker's acknowledged operations alone, whatever the interleaving.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

# Where the store is: a SQLite file, or a PostgreSQL URL (an empty database).
Store: TypeAlias = Path | str
# The python whose colabctl runs (bench/postgres.py points it at the --venv being timed).
PYTHON = sys.executable
# Set on an interrupt: the workers start no new process.
STOPPING = threading.Event()

OWNER = "ana.souza@example.com"
ACCOUNTS = (("acme-cursos", "11.222.333/0001-81", "BR"), ("beta-digital", "B58378431", "ES"))
SHARED = "equipo"
BASE_PERMISSION = "products.view"  # never toggled: `equipo` can never become empty
# one permission per worker, toggled only by that worker
TOGGLED = (
    "others.manage_subscriptions",
    "others.approve_affiliates",
    "others.manage_affiliates",
    "purchases.resend_notifications",
    "purchases.resend_emails",
    "purchases.issue_cash_payments",
    "purchases.request_refunds",
    "purchases.change_buyer_email",
    "purchases.search",
    "purchases.search_by_period",
    "reports.purchase_recovery",
    "reports.sales_by_source",
    "reports.payment_methods",
    "reports.commissions",
    "tools.checkout_settings",
    "tools.social_drm",
)
NO_OP_WORDS = ("nothing to do", "already", "unchanged")


@dataclass(frozen=True)
class Op:
    worker: int
    index: int
    account: str
    args: tuple[str, ...]
    action: str | None  # the audit action it appends; None: a no-op
    target: str


@dataclass
class Outcome:
    op: Op
    exit_code: int
    stderr: str
    wall: float


@dataclass
class Report:
    processes: int
    operations: int
    failures: list[Outcome] = field(default_factory=list)
    lock_failures: list[Outcome] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    acknowledged_mutations: int = 0
    audit_rows: int = 0
    walls: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.walls)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def summary(self) -> str:
        return (
            f"{self.processes} processes x {self.operations} operations"
            f" = {self.processes * self.operations} colabctl runs\n"
            f"failures: {len(self.failures)} (lock failures: {len(self.lock_failures)})\n"
            f"lost updates: {len(self.lost)}\n"
            f"audit rows: {self.audit_rows} for {self.acknowledged_mutations}"
            " acknowledged mutations\n"
            f"wall per operation: p50 {self.percentile(0.50) * 1000:.0f} ms,"
            f" p99 {self.percentile(0.99) * 1000:.0f} ms,"
            f" max {max(self.walls) * 1000:.0f} ms"
        )


def environment(db: Store) -> dict[str, str]:
    if isinstance(db, Path):
        config = db.with_name(db.name + ".config.toml")
    else:  # one config file per server database, in the temporary folder
        digest = hashlib.sha256(db.encode()).hexdigest()[:16]
        config = Path(tempfile.gettempdir()) / f"colabctl-concurrency-{digest}.config.toml"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COLABCTL_USER", "COLABCTL_ACCOUNT", "COLABCTL_DEBUG", "COLABCTL_LANG")
    }
    env.update(
        COLABCTL_DB=str(db),
        COLABCTL_CONFIG=str(config),
        NO_COLOR="1",
        COLUMNS="160",
        LANG="C.UTF-8",
    )
    return env


def colabctl(db: Store, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "colabctl", *args],
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=120,
    )


def query(db: Store, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query (SQLite's dialect: `?` placeholders) against either engine."""
    if isinstance(db, Path):
        conn = sqlite3.connect(db)
        try:
            return [tuple(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()
    from colabctl.store.postgres import connect

    pg = connect(db)  # translates, as colabctl's own connection does
    try:
        return [tuple(r) for r in pg.execute(sql, params)]
    finally:
        pg.close()


def setup(db: Store) -> None:
    """The owner, two legal-entity accounts, each with soporte, tecnico and equipo."""
    steps: list[tuple[str, ...]] = [("login", OWNER, "--name", "Ana Souza")]
    for slug, tax_id, country in ACCOUNTS:
        steps.append(("--as", OWNER, "account", "create", slug, "--name", slug, "--tax-id", tax_id))
        steps[-1] += ("--country", country)
        for preset in ("soporte", "tecnico"):
            steps.append(
                ("--as", OWNER, "profile", "create", preset, "--preset", preset, "-a", slug)
            )
        steps.append(
            ("--as", OWNER, "profile", "create", SHARED, "--perm", BASE_PERMISSION, "-a", slug)
        )
    for args in steps:
        done = colabctl(db, *args)
        if done.returncode != 0:
            raise RuntimeError(f"setup {args} failed: {done.stderr}")


def plan(worker: int, ops: int) -> list[Op]:
    account = ACCOUNTS[worker % 2][0]
    perm = TOGGLED[worker]
    owner = ("--as", OWNER)
    a_ = ("-a", account)
    found: list[Op] = []
    blocks = (ops + 9) // 10
    for block in range(blocks):
        first = f"w{worker}-b{block}-first@example.com"
        second = f"w{worker}-b{block}-second@example.com"
        last_block = block == blocks - 1
        if last_block and worker % 2 == 0:
            tenth: tuple[tuple[str, ...], str | None, str] = (
                (*owner, "profile", "edit", SHARED, "--add", perm, *a_),
                "profile.edit",
                SHARED,
            )
        elif block % 2 == 0:
            text = f"last edited by worker {worker} in block {block}"
            tenth = (
                (*owner, "profile", "edit", SHARED, "--description", text, *a_),
                "profile.edit",
                SHARED,
            )
        else:
            tenth = ((*owner, "profile", "edit", SHARED, "--remove", perm, *a_), None, SHARED)
        steps: list[tuple[tuple[str, ...], str | None, str]] = [
            ((*owner, "invite", first, "--profile", "soporte", *a_), "invitation.create", first),
            ((*owner, "profile", "edit", SHARED, "--add", perm, *a_), "profile.edit", SHARED),
            ((*owner, "invite", first, "--profile", "soporte", *a_), None, first),
            (("--as", first, "accept", account), "invitation.accept", first),
            (
                (*owner, "collaborator", "set-profile", first, "tecnico", *a_),
                "collaborator.set_profile",
                first,
            ),
            ((*owner, "collaborator", "set-profile", first, "tecnico", *a_), None, first),
            ((*owner, "profile", "edit", SHARED, "--remove", perm, *a_), "profile.edit", SHARED),
            ((*owner, "invite", second, "--profile", "tecnico", *a_), "invitation.create", second),
            ((*owner, "collaborator", "remove", second, *a_), "collaborator.remove", second),
            tenth,
        ]
        for args, action, target in steps:
            found.append(Op(worker, len(found), account, args, action, target))
    return found[:ops]


def run_worker(db: Store, ops: Sequence[Op]) -> list[Outcome]:
    """One worker: its operations one after another, each a new colabctl process."""
    outcomes = []
    for op in ops:
        if STOPPING.is_set():
            break
        start = time.perf_counter()
        done = colabctl(db, *op.args)
        outcomes.append(Outcome(op, done.returncode, done.stderr, time.perf_counter() - start))
    return outcomes


def run(db: Store, processes: int, ops: int) -> list[Outcome]:
    plans = [plan(worker, ops) for worker in range(processes)]
    with ThreadPoolExecutor(max_workers=processes) as pool:
        try:
            results = list(pool.map(lambda p: run_worker(db, p), plans))
        except BaseException:  # Ctrl-C: let the running processes end, start no more
            STOPPING.set()
            raise
    return [outcome for worker in results for outcome in worker]


def audit_count(db: Store) -> int:
    count: int = query(db, "SELECT count(*) FROM audit")[0][0]
    return count


def expected_state(
    outcomes: Sequence[Outcome],
) -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], bool]]:
    """From each worker's acknowledged operations alone: (status, profile) per person, and
    per (account, permission) whether `equipo` holds it."""
    people: dict[str, tuple[str, str]] = {}
    perms: dict[tuple[str, str], bool] = {}
    for outcome in outcomes:
        if outcome.exit_code != 0:
            continue
        args = outcome.op.args
        command = args[2]
        if command == "invite":
            people.setdefault(args[3], ("pending", args[5]))
        elif command == "accept":
            people[args[1]] = ("active", people[args[1]][1])
        elif command == "collaborator" and args[3] == "set-profile":
            people[args[4]] = (people[args[4]][0], args[5])
        elif command == "collaborator" and args[3] == "remove":
            people[args[4]] = ("revoked", people[args[4]][1])
        elif command == "profile" and args[5] in ("--add", "--remove"):
            perms[(outcome.op.account, args[6])] = args[5] == "--add"
    return people, perms


def check(db: Store, outcomes: Sequence[Outcome], audit_before: int, processes: int) -> Report:
    """Compare the final store with what the acknowledged operations promised."""
    report = Report(processes, len(outcomes) // max(processes, 1))
    report.walls = [o.wall for o in outcomes]
    for outcome in outcomes:
        locked = outcome.exit_code == 7 or "locked" in outcome.stderr.lower()
        if locked:
            report.lock_failures.append(outcome)
        no_op_said = any(word in outcome.stderr for word in NO_OP_WORDS)
        if outcome.exit_code != 0 or locked or (outcome.op.action is None) != no_op_said:
            report.failures.append(outcome)
    report.acknowledged_mutations = sum(
        1 for o in outcomes if o.exit_code == 0 and o.op.action is not None
    )
    report.audit_rows = audit_count(db) - audit_before

    people, perms = expected_state(outcomes)
    for email, (status, profile) in people.items():
        rows = query(
            db,
            "SELECT m.status, p.name FROM memberships m JOIN users u ON u.id = m.user_id"
            " LEFT JOIN profiles p ON p.id = m.profile_id WHERE u.email = ?"
            " ORDER BY m.id DESC LIMIT 1",
            (email,),
        )
        row = rows[0] if rows else None
        if row != (status, profile):
            report.lost.append(f"{email}: expected {status}/{profile}, found {row}")
    for (account, perm), held in perms.items():
        found = query(
            db,
            "SELECT 1 FROM profile_permissions pp JOIN profiles p ON p.id = pp.profile_id"
            " JOIN accounts a ON a.id = p.account_id"
            " WHERE a.slug = ? AND p.name = ? AND pp.permission = ?",
            (account, SHARED, perm),
        )
        if bool(found) != held:
            report.lost.append(f"{account} {SHARED} {perm}: expected held={held}")
    for (account,) in query(db, "SELECT slug FROM accounts"):
        # the last description the log says was set (read in Python: one SQL for both engines)
        texts = [
            json.loads(details).get("description")
            for (details,) in query(
                db,
                "SELECT details FROM audit WHERE account = ? AND action = 'profile.edit'"
                " AND target = ? ORDER BY seq",
                (account, SHARED),
            )
        ]
        last_text = next((t for t in reversed(texts) if t is not None), None)
        ((stored,),) = query(
            db,
            "SELECT description FROM profiles p JOIN accounts a ON a.id = p.account_id"
            " WHERE a.slug = ? AND p.name = ?",
            (account, SHARED),
        )
        if last_text is not None and stored != last_text:
            report.lost.append(f"{account} {SHARED}: description is not the last one set")
    return report


def audit_actions(db: Store, after_seq: int) -> Counter[tuple[str, str | None, str | None]]:
    return Counter(
        (r[0], r[1], r[2])
        for r in query(db, "SELECT action, account, target FROM audit WHERE seq > ?", (after_seq,))
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--db", type=Path, default=None, help="store file (default: a temp one)")
    options = parser.parse_args(argv)
    if not 1 <= options.processes <= len(TOGGLED):
        parser.error(f"--processes must be 1 to {len(TOGGLED)}")
    with tempfile.TemporaryDirectory(prefix="colabctl-concurrency-") as tmp:
        db = options.db or Path(tmp) / "store.db"
        setup(db)
        before = audit_count(db)
        start = time.perf_counter()
        outcomes = run(db, options.processes, options.ops)
        elapsed = time.perf_counter() - start
        report = check(db, outcomes, before, options.processes)
        verified = colabctl(db, "audit", "verify", "--json")
        conn = sqlite3.connect(db)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchall()
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
    print(report.summary())
    print(f"elapsed: {elapsed:.1f} s for {len(outcomes)} runs")
    print(f"audit verify: {json.loads(verified.stdout)}")
    print(f"integrity_check: {[r[0] for r in integrity]}; foreign_key_check: {len(fk)} rows")
    for outcome in report.failures[:10]:
        print(f"  failed: {' '.join(outcome.op.args)} -> {outcome.exit_code}: {outcome.stderr}")
    for line in report.lost[:10]:
        print(f"  lost: {line}")
    healthy = not report.failures and not report.lost and verified.returncode == 0
    return 0 if healthy and report.audit_rows == report.acknowledged_mutations else 1


if __name__ == "__main__":
    sys.exit(main())
