"""Appending many audit rows in one transaction on PostgreSQL (store/pg_migrations.py):
through the audit_append view with every guard, against the same rows through the view
with the head left alone (audit_follows_head off, the view's trigger only inserting).

    python bench/pg_audit_append.py [--rows 5000 10000 20000]

Starts its own throwaway cluster (tests/pgcluster.py), a fresh schema per measurement.
The guarded path updates the one audit_head row once per appended row; PostgreSQL keeps
every version of that row until the transaction ends, so each later read or update of
the head walks all of them: the time grows with the square of the rows. Prints seconds,
rows/s and the ratio guarded / unguarded for each size.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pgcluster import Cluster, find_bindir

from colabctl.store import pg_migrations

INSERT = (
    "INSERT INTO audit_append (seq, at, actor, account, action, target, details, prev_hash,"
    " hash, db_login) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
UNGUARDED = [
    "ALTER TABLE audit DISABLE TRIGGER audit_follows_head",
    """
    CREATE OR REPLACE FUNCTION colabctl_audit_append_row() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.*); RETURN NEW; END $$
    """,
]


def measure(cluster: Cluster, rows: int, guarded: bool) -> float:
    schema = f"b_{rows}_{int(guarded)}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    with psycopg.connect(f"{cluster.url()}?options=-csearch_path%3D{schema}") as conn:
        pg_migrations.apply_pending(conn)
        if not guarded:
            for statement in UNGUARDED:
                conn.execute(statement)
        conn.commit()
        row = conn.execute("SELECT session_user::text").fetchone()
        assert row is not None
        login, prev, data = row[0], "0" * 64, []
        for seq in range(1, rows + 1):
            digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
            data.append(
                (seq, "2026-11-29T00:00:00Z", "a@x", "acct", "x", None, "{}", prev, digest, login)
            )
            prev = digest
        with conn.cursor() as cur:
            start = time.perf_counter()
            cur.executemany(INSERT, data)
            conn.commit()
            return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 10000, 20000])
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = Cluster(bindir).start()
    try:
        for rows in args.rows:
            unguarded = measure(cluster, rows, guarded=False)
            guarded = measure(cluster, rows, guarded=True)
            print(
                f"{rows:>7} rows: guarded {guarded:6.2f} s ({rows / guarded:>8,.0f}/s),"
                f" unguarded {unguarded:6.2f} s ({rows / unguarded:>8,.0f}/s),"
                f" ratio {guarded / unguarded:5.1f}x"
            )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
