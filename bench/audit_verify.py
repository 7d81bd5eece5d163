"""`audit verify` on a long log: the whole check against the chain walk alone.

    python bench/audit_verify.py [--rows 100000] [--runs 9] [--distinct]

Builds (and caches under bench/stores/) a store whose log has ROWS invitations of new
users, written through store.audit.append as colabctl writes them: as one apply writes
them (one profile, one expiry: their details alike), or with --distinct each with an
expiry of its own (invitations made one by one; no two rows' details alike). Then alternates, in
one process on one connection: the baseline, a walk that only checks seq, links and
hashes (what `verify` did before the head record); verify's own chain check with the
state check off (the same walk, plus the db_login column and the head); and
`store.audit.verify`, which also replays the log into the state it describes (in the
same pass) and compares that with the tables (docs/storage.md, "What audit verify
checks"). All are timed in CPU seconds of this process (one thread: its work, whatever
else the machine runs) and wall seconds. Prints medians and the paired ratios of verify
to each baseline; the target is at most 2x the chain walk alone.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _proc import load_note, paired_ratios, spread

from colabctl.core.clock import iso
from colabctl.store import audit
from colabctl.store.db import SqliteConnection

OWNER = "ana.souza@example.com"
ACCOUNT = "acme-cursos"
EPOCH = datetime(2099, 1, 1, tzinfo=UTC)


def build(path: Path, rows: int, distinct: bool = False) -> None:
    from colabctl.core import profiles
    from colabctl.core.accounts import create as create_account
    from colabctl.core.session import Context
    from colabctl.core.users import register
    from colabctl.store.db import open_for_write

    ctx = Context(db=str(path), actor=OWNER)
    register(ctx, OWNER, name="Ana Souza")
    create_account(ctx, ACCOUNT, "Acme", tax_id="11.222.333/0001-81", country="BR")
    profiles.create(ctx, "soporte", preset="soporte", account=ACCOUNT)
    store = open_for_write(path)
    try:
        with store.transaction():
            conn = store.conn
            account_id, owner_id = conn.execute("SELECT id, owner_id FROM accounts").fetchone()
            (profile_id,) = conn.execute("SELECT id FROM profiles").fetchone()
            at, expires = "2026-11-02T09:00:00Z", "2099-01-01T00:00:00Z"
            for i in range(rows - 3):
                email = f"holder{i:06d}@example.com"
                if distinct:  # every row's details its own (invitations made one by one)
                    expires = iso(EPOCH + timedelta(seconds=i))
                user_id = conn.execute(
                    "INSERT INTO users (email, email_key, created_at) VALUES (?, ?, ?)",
                    (email, email, at),
                ).lastrowid
                conn.execute(
                    "INSERT INTO memberships (account_id, user_id, profile_id, status,"
                    " invited_by, invited_at, expires_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                    (account_id, user_id, profile_id, owner_id, at, expires),
                )
                audit.append(
                    conn,
                    at=at,
                    actor=OWNER,
                    account=ACCOUNT,
                    action="invitation.create",
                    target=email,
                    details={"profile": "soporte", "expires_at": expires, "new_user": True},
                )
    finally:
        store.close()


def walk_only(conn: sqlite3.Connection) -> int:
    """The chain walk alone: seq, link and hash of every row."""
    prev, expected = audit.GENESIS, 1
    for seq, at, actor, account, action, target, details, stored_prev, stored in conn.execute(
        "SELECT seq, at, actor, account, action, target, details, prev_hash, hash"
        " FROM audit ORDER BY seq"
    ):
        content = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "account": account,
            "action": action,
            "target": target,
            "details": details,
        }
        assert seq == expected and stored_prev == prev
        assert audit.row_hash(stored_prev, content) == stored
        prev, expected = stored, seq + 1
    return expected - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="every invitation with an expiry of its own (no two rows' details alike)",
    )
    args = parser.parse_args()
    name = f"audit-{args.rows}{'-distinct' if args.distinct else ''}.db"
    path = Path(__file__).parent / "stores" / name
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        build(path, args.rows, args.distinct)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    brought_up_to_date(path)
    conn = sqlite3.connect(path, factory=SqliteConnection)  # (the store's own: schema_version)
    names = ("walk", "chain", "verify")
    times: dict[str, list[float]] = {f"{n}{c}": [] for n in names for c in ("", " cpu")}
    for i in range(args.runs):
        for name in names if i % 2 == 0 else names[::-1]:
            started, cpu = time.perf_counter(), time.process_time()
            if name == "walk":
                rows = walk_only(conn)
            elif name == "chain":
                audit.verify_chain_only(conn)
            else:
                verdict = audit.verify(conn)
            times[name].append(time.perf_counter() - started)
            times[f"{name} cpu"].append(time.process_time() - cpu)
            if name == "verify":  # the state was checked, and found as the log says
                assert verdict.intact and verdict.rows == rows, verdict
                assert verdict.state_from is not None and not verdict.breaks, verdict
    print(f"{rows:,} rows; {load_note()}")
    for clock in ("cpu", "wall"):
        suffix = " cpu" if clock == "cpu" else ""
        print(f"chain walk only     ({clock})  {spread(times['walk' + suffix]).ms()}")
        print(f"verify, chain only  ({clock})  {spread(times['chain' + suffix]).ms()}")
        print(f"audit verify        ({clock})  {spread(times['verify' + suffix]).ms()}")
        for base, label in (("walk", "walk"), ("chain", "verify's chain")):
            ratio = paired_ratios(times["verify" + suffix], times[base + suffix])
            print(
                f"verify / {label:<15} ({clock})  median {ratio.median:.2f}x"
                f" (p10 {ratio.p10:.2f}, p90 {ratio.p90:.2f})"
            )


def brought_up_to_date(path: Path) -> None:
    """A store cached by an older colabctl is migrated first (as any read would), so that
    verify checks its state rather than skipping it."""
    from colabctl.store.db import open_for_read

    store = open_for_read(path)
    assert store is not None
    store.close()


if __name__ == "__main__":
    main()
