"""`colabctl report` of a 10,000-collaborator account against `matrix --json` of it.

    python bench/report.py --venv /tmp/vb [--collaborators 10000] [--runs 9]

The store is test_runner.py's: make_store's with 2 accounts and 20,000 collaborators
(10,000 each), in two forms:

1. as make_store builds it: no audit log, so the report's chain walk is short (it finds
   the chain broken: nothing created the rows) and its "changes since" section empty;
2. with an audit log that creates what it holds (a user, account, profile and invitation
   row each, and an acceptance row per active membership), dated a week ago: the report
   walks a real chain (~56,000 rows) and, at its default of 30 days, lists every row of
   the account (~19,000) as a change: the worst case, a team brought in within the month.

`report -a SLUG --format html -o FILE` and `matrix -a SLUG --json` as its owner, whole
processes, strictly alternating, CPU time (user + system of each process, which a shared
machine inflates far less than wall time) and wall time: target report <= 3x matrix.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _proc import (
    OUT_DIR,
    Command,
    clean_env,
    install_kind,
    load_note,
    paired_ratios,
    run_once,
    spread,
    venv,
)
from make_store import ensure_store, owner_email, slug_of

from colabctl.core.clock import iso
from colabctl.store import audit
from colabctl.store.db import open_for_write

TARGET = 3.0


def with_audit(template: Path, path: Path) -> int:
    """TEMPLATE copied to PATH with the audit rows that create what it holds, a week ago."""
    shutil.copyfile(template, path)
    at = iso(datetime.now(UTC) - timedelta(days=7))
    store = open_for_write(path)
    try:
        with store.transaction():
            conn = store.conn
            rows: list[audit.Row] = [
                (at, email, None, "user.create", email, {"name": None})
                for (email,) in conn.execute("SELECT email FROM users ORDER BY id")
            ]
            rows += [
                (at, owner, slug, "account.create", slug, {"name": name})
                for slug, name, owner in conn.execute(
                    "SELECT a.slug, a.name, u.email FROM accounts a"
                    " JOIN users u ON u.id = a.owner_id ORDER BY a.id"
                )
            ]
            rows += [
                (at, owner, slug, "profile.create", name, {"permissions": []})
                for name, slug, owner in conn.execute(
                    "SELECT p.name, a.slug, u.email FROM profiles p JOIN accounts a"
                    " ON a.id = p.account_id JOIN users u ON u.id = a.owner_id ORDER BY p.id"
                )
            ]
            members = conn.execute(
                "SELECT a.slug, o.email, u.email, p.name, m.expires_at, m.status"
                " FROM memberships m JOIN accounts a ON a.id = m.account_id"
                " JOIN users o ON o.id = a.owner_id JOIN users u ON u.id = m.user_id"
                " JOIN profiles p ON p.id = m.profile_id ORDER BY m.id"
            ).fetchall()
            for slug, owner, email, profile, expires, status in members:
                details = {"profile": profile, "expires_at": expires, "new_user": False}
                rows.append((at, owner, slug, "invitation.create", email, details))
                if status == "active":
                    rows.append((at, email, slug, "invitation.accept", email, {"profile": profile}))
            audit.append_many(conn, rows)
            return len(rows)
    finally:
        store.close()


def timed(cmd: Command) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run_once(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(colabctl: str, store: Path, slug: str, runs: int) -> float:
    """Print the timings of both commands on STORE; return the CPU ratio of the medians."""
    page = OUT_DIR / f"{store.stem}.html"
    env = clean_env(COLABCTL_USER=owner_email(0), COLABCTL_DB=str(store))
    matrix = Command("matrix --json", [colabctl, "matrix", "-a", slug, "--json"], env)
    report = Command(
        "report --format html -o FILE",
        [colabctl, "report", "-a", slug, "--format", "html", "-o", str(page)],
        env,
    )
    for cmd in (matrix, report):
        done = subprocess.run(cmd.argv, env=cmd.env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd.argv[1:])} exited {done.returncode}: {done.stderr}")
    text = page.read_text(encoding="utf-8")
    people = text.count('<th scope="row" class="person">')
    changes = text.count('<tr><td class="num">')
    size = len(text.encode()) / 1e6
    print(f"  {people:,} people in the matrix, {changes:,} changes; the page is {size:.1f} MB")
    for cmd in (matrix, report):  # warm-up
        timed(cmd)
    walls: dict[str, list[float]] = {matrix.name: [], report.name: []}
    cpus: dict[str, list[float]] = {matrix.name: [], report.name: []}
    for i in range(runs):
        for cmd in (matrix, report) if i % 2 == 0 else (report, matrix):
            wall, cpu = timed(cmd)
            walls[cmd.name].append(wall)
            cpus[cmd.name].append(cpu)
    ratios = {}
    for label, times in (("CPU", cpus), ("wall", walls)):
        base, ours = spread(times[matrix.name]), spread(times[report.name])
        pairs = paired_ratios(times[report.name], times[matrix.name])
        print(f"  {label:<4} {matrix.name:<30} {base.ms()}")
        print(f"  {label:<4} {report.name:<30} {ours.ms()}")
        ratios[label] = ours.median / base.median
        print(
            f"  {label}: report {ratios[label]:.2f}x matrix --json (paired runs: median"
            f" {pairs.median:.2f}x, p10 {pairs.p10:.2f}x, p90 {pairs.p90:.2f}x)"
        )
    page.unlink()
    return ratios["CPU"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv to time (default: the one running this script)")
    parser.add_argument("--collaborators", type=int, default=10_000, help="in the account")
    parser.add_argument("--runs", type=int, default=9, help="whole-process runs of each")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    py, colabctl = venv(args.venv)
    print(f"venv: {py}; colabctl from {install_kind(py)}")
    OUT_DIR.mkdir(exist_ok=True)
    info = ensure_store(2, 2 * args.collaborators, seed=args.seed)
    logged = OUT_DIR / f"report-{args.collaborators}-logged.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{logged}{suffix}").unlink(missing_ok=True)
    rows = with_audit(Path(info.path), logged)
    slug = slug_of(0)
    print(f"{load_note()}; {args.runs} runs each, alternating, after a warm-up")
    verdicts = []
    for title, store in (
        ("1. the store as make_store builds it (no audit log)", Path(info.path)),
        (f"2. with an audit log of {rows:,} rows, a week old", logged),
    ):
        print(f"{title}: {slug}, {args.collaborators:,} collaborators")
        ratio = measure(colabctl, store, slug, args.runs)
        verdicts.append(f"{ratio:.2f}x ({'within' if ratio <= TARGET else 'OVER'})")
    print(f"report vs matrix --json, CPU: {' and '.join(verdicts)}; target <= {TARGET:g}x")


if __name__ == "__main__":
    main()
