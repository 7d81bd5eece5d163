"""Appending many audit rows in one transaction on PostgreSQL (store/pg_migrations.py,
docs/storage.md "The schema on PostgreSQL"), every guard on, against the same rows
inserted bare (the head's triggers off, the head left alone) in the same run:

- append: what store/audit.append_many does on PostgreSQL: the rows straight into
  `audit` (one executemany; each row joins the end of the chain), then ONE update of
  the head; the deferred check that the head covers every row runs at COMMIT.
- chunks: the same, as multi-row INSERTs of --chunk rows each (to compare).
- view: through the audit_append view, whose trigger moves the head once per row (what
  append_many did before, and what a single-row append still does): PostgreSQL keeps
  every version of the one head row until the transaction ends, so each later read or
  update of the head walks them all, and the time grows with the square of the rows.

    python bench/pg_audit_append.py [--rows 5000 20000 140000] [--view-rows 5000 10000]

Starts its own throwaway cluster (tests/pgcluster.py), a fresh schema per measurement.
Prints seconds (with the part spent in COMMIT), microseconds per row, and the ratio to
the bare insert of the same rows.

Measured 2026-11-29 (2 shared cores, noisy): append 5k 0.25 s, 20k 0.86 s, 140k 5.2 s
(37-50 us/row, 1.6-2.0x bare; about 8 us/row of it is the check at COMMIT); the view
before the change: 5k 0.82 s, 10k 3.2 s, 20k 12.0 s.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pgcluster import Cluster, find_bindir

from colabctl.store import pg_migrations

COLUMNS = "seq, at, actor, account, action, target, details, prev_hash, hash, db_login"
ONE_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
HEAD = "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1"
BARE = [  # the head's triggers off: rows go in as if there were no head
    "ALTER TABLE audit DISABLE TRIGGER audit_follows_head",
    "ALTER TABLE audit DISABLE TRIGGER audit_head_covers",
]
VIEW_BARE = [
    *BARE,
    """
    CREATE OR REPLACE FUNCTION colabctl_audit_append_row() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.*); RETURN NEW; END $$
    """,
]

Rows = list[tuple[Any, ...]]


def rows_for(count: int, login: str) -> Rows:
    prev, data = "0" * 64, []
    for seq in range(1, count + 1):
        digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
        data.append(
            (seq, "2026-11-29T00:00:00Z", "a@x", "acct", "x", None, "{}", prev, digest, login)
        )
        prev = digest
    return data


def write(conn: psycopg.Connection[Any], path: str, data: Rows, chunk: int) -> None:
    with conn.cursor() as cur:
        if path == "view":
            cur.executemany(f"INSERT INTO audit_append ({COLUMNS}) VALUES {ONE_ROW}", data)
            return
        if path == "chunks":
            for start in range(0, len(data), chunk):
                part = data[start : start + chunk]
                values = ", ".join([ONE_ROW] * len(part))
                cur.execute(
                    f"INSERT INTO audit ({COLUMNS}) VALUES {values}",
                    [value for row in part for value in row],
                )
        else:  # append, bare
            cur.executemany(f"INSERT INTO audit ({COLUMNS}) VALUES {ONE_ROW}", data)
        if path != "bare":
            cur.execute(HEAD, (data[-1][0], data[-1][8]))


def measure(cluster: Cluster, rows: int, path: str, chunk: int) -> tuple[float, float]:
    """(seconds in all, seconds of them in COMMIT) for ROWS rows in one transaction."""
    schema = f"b_{rows}_{path.replace('-', '_')}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        with psycopg.connect(f"{cluster.url()}?options=-csearch_path%3D{schema}") as conn:
            pg_migrations.apply_pending(conn)
            for statement in {"bare": BARE, "view-bare": VIEW_BARE}.get(path, []):
                conn.execute(statement)
            conn.commit()
            found = conn.execute("SELECT session_user::text").fetchone()
            assert found is not None
            data = rows_for(rows, found[0])
            start = time.perf_counter()
            write(conn, "view" if path == "view-bare" else path, data, chunk)
            committing = time.perf_counter()
            conn.commit()
            end = time.perf_counter()
            count = conn.execute("SELECT count(*) FROM audit").fetchone()
            assert count is not None and count[0] == rows, (path, count)
            return end - start, end - committing
    finally:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def line(rows: int, path: str, took: tuple[float, float], base: float) -> str:
    total, commit = took
    return (
        f"{rows:>7} rows {path:<9} {total:7.2f} s (commit {commit:5.2f} s)"
        f" {total / rows * 1e6:7.1f} us/row   {total / base:5.2f}x bare"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[5000, 20000, 140000])
    parser.add_argument("--view-rows", type=int, nargs="*", default=[5000, 10000])
    parser.add_argument("--chunk", type=int, default=1000, help="rows per multi-row INSERT")
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = Cluster(bindir).start()
    try:
        for rows in args.rows:
            bare = measure(cluster, rows, "bare", args.chunk)
            print(line(rows, "bare", bare, bare[0]), flush=True)
            for path in ("append", "chunks"):
                print(line(rows, path, measure(cluster, rows, path, args.chunk), bare[0]))
        for rows in args.view_rows:
            bare = measure(cluster, rows, "view-bare", args.chunk)
            print(line(rows, "view-bare", bare, bare[0]), flush=True)
            print(line(rows, "view", measure(cluster, rows, "view", args.chunk), bare[0]))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
