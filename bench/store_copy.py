"""`store copy` of a big store: the whole copy (read, write, verify, compare) against
SQLite's own page copy of the same file (the backup API: the floor of any copy) and one
`audit verify` of the source (a copy verifies the chain twice).

    python bench/store_copy.py [--accounts 10000] [--collaborators 100000] [--runs 3]
                               [--postgres [--full]]

The store is make_store.py's (cached under bench/stores/), plus the audit rows that
create its users, accounts, profiles and memberships (a store without them does not
verify, and `store copy` refuses a source that does not). With --postgres it also copies
the time of SQLite -> PostgreSQL copies of logs of 2,000 to 16,000 audit rows on a
throwaway cluster (tests/pgcluster.py), a row's cost against the smallest log's; with
--full too, the big store SQLite -> PostgreSQL -> SQLite. Prints medians, the memory
high-water mark, and the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from make_store import ensure_store

from colabctl.core import stores
from colabctl.store import audit
from colabctl.store.db import open_for_write

AT = "2026-01-01T00:00:00Z"


def with_audit(template: Path, path: Path) -> int:
    """TEMPLATE copied to PATH with one creating audit row per thing it holds."""
    shutil.copyfile(template, path)
    store = open_for_write(path)
    try:
        with store.transaction():
            conn = store.conn
            rows: list[audit.Row] = []
            for (email,) in conn.execute("SELECT email FROM users ORDER BY id"):
                rows.append((AT, None, None, "user.create", email, None))
            for (slug,) in conn.execute("SELECT slug FROM accounts ORDER BY id"):
                rows.append((AT, None, slug, "account.create", None, None))
            for (name,) in conn.execute("SELECT name FROM profiles ORDER BY id"):
                rows.append((AT, None, None, "profile.create", name, None))
            for (member,) in conn.execute("SELECT id FROM memberships ORDER BY id"):
                rows.append((AT, None, None, "invitation.create", str(member), None))
            audit.append_many(conn, rows)
            return len(rows)
    finally:
        store.close()


def timed(runs: int, setup: Callable[[], object], action: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def process_high_water(src: Path, dst: Path, clear: Callable[[], object]) -> float | None:
    """The peak resident memory (MB) of `colabctl store copy SRC DST` as a whole process,
    by /usr/bin/time (a fork of this big process would count this one's pages): the rows
    are streamed in chunks, so it stays flat whatever the store's size. None without it."""
    if not Path("/usr/bin/time").exists():
        return None
    clear()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "colabctl", "store", "copy",
         str(src), str(dst)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="logs of 2k-16k rows to PG")
    parser.add_argument("--full", action="store_true", help="with --postgres: the big store")
    args = parser.parse_args()

    info = ensure_store(args.accounts, args.collaborators)
    work = Path(tempfile.mkdtemp(prefix="colabctl-copy-bench-"))
    try:
        src = work / "src.db"
        audit_rows = with_audit(Path(info.path), src)
        conn = sqlite3.connect(src)
        total = sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("users", "accounts", "profiles", "profile_permissions", "memberships")
        )
        conn.close()
        print(f"source: {info.membership_rows} memberships, {total} domain rows,"
              f" {audit_rows} audit rows, {src.stat().st_size / 1e6:.0f} MB")  # fmt: skip
        dst = work / "dst.db"

        def clear() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{dst}{suffix}").unlink(missing_ok=True)

        def backup() -> None:
            source, target = sqlite3.connect(src), sqlite3.connect(dst)
            source.backup(target)
            source.close()
            target.close()

        def verify() -> None:
            conn = sqlite3.connect(src)
            assert audit.verify(conn).intact
            conn.close()

        def copy() -> None:
            stores.copy(src, dst)

        floor = timed(args.runs, clear, backup)
        check = timed(args.runs, lambda: None, verify)
        copied = timed(args.runs, clear, copy)
        high_water_mb = process_high_water(src, dst, clear)
        print(f"sqlite backup API (page copy): {median(floor)}")
        print(f"audit verify of the source:    {median(check)}")
        print(f"store copy SQLite -> SQLite:   {median(copied)}")
        ratio_floor = statistics.median(copied) / statistics.median(floor)
        ratio_verify = statistics.median(copied) / statistics.median(check)
        print(f"  = {ratio_floor:.1f}x the page copy, {ratio_verify:.1f}x one verify")
        if high_water_mb is not None:
            print(f"`colabctl store copy` as a process peaks at {high_water_mb:.0f} MB resident")
        if args.postgres:
            postgres(src, work, args.runs, full=args.full)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def postgres(src: Path, work: Path, runs: int, *, full: bool) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import psycopg
    from pgcluster import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        print("no PostgreSQL server binaries: --postgres skipped")
        return
    cluster = Cluster(bindir).start()
    try:
        url = cluster.url()

        def empty_schema() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
                conn.execute("CREATE SCHEMA public")

        # How the time grows with the log: a copy appends every audit row through
        # audit_append in one transaction, which moves the one-row audit_head each time.
        # Per row, the time should stay flat; the ratio to the smallest log shows it.
        first = None
        for rows in (2000, 4000, 8000, 16000):
            log = work / f"log{rows}.db"
            store = open_for_write(log)
            with store.transaction():
                audit.append_many(
                    store.conn, [(AT, None, None, "note", str(i), None) for i in range(rows)]
                )
            store.close()
            spent = statistics.median(timed(runs, empty_schema, partial(stores.copy, log, url)))
            per_row = spent / rows
            first = first or per_row
            growth = per_row / first
            print(f"SQLite -> PostgreSQL, a log of {rows:>6} rows: {spent:6.2f} s"
                  f" ({per_row * 1e6:.0f} us a row, {growth:.1f}x the smallest's)")  # fmt: skip
        if not full:
            return
        back = work / "back.db"

        def clear_back() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{back}{suffix}").unlink(missing_ok=True)

        there = timed(runs, empty_schema, lambda: stores.copy(src, url))
        home = timed(runs, clear_back, lambda: stores.copy(url, back))
        print(f"store copy SQLite -> PostgreSQL: {median(there)}")
        print(f"store copy PostgreSQL -> SQLite: {median(home)}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
