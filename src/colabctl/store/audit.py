"""The audit chain's primitives: append a row, verify the chain, read rows back.

One hash-chained row per mutation, written in the mutation's own transaction
(docs/storage.md). The rules of who may read which rows live in core/audit.py."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(content)).encode("utf-8")).hexdigest()


def _content(
    seq: int,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: str,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "account": account,
        "action": action,
        "target": target,
        "details": details,
    }


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one row. Must run inside the mutation's write transaction."""
    return append_many(conn, [(at, actor, account, action, target, details)])


# One audit row to append: (at, actor, account, action, target, details).
Row = tuple[str, str | None, str | None, str, str | None, dict[str, Any] | None]


def append_many(conn: sqlite3.Connection, rows: list[Row]) -> int:
    """Append rows in order, chained, with one read of the head and one INSERT statement
    (a team-file apply writes ~100k rows). Returns the last seq (the head's if no rows)."""
    assert conn.in_transaction, "audit rows are written in the mutation's transaction"
    seq, prev_hash = head(conn)
    values = []
    for at, actor, account, action, target, details in rows:
        seq += 1
        text = canonical(details or {})
        digest = row_hash(prev_hash, _content(seq, at, actor, account, action, target, text))
        values.append((seq, at, actor, account, action, target, text, prev_hash, digest))
        prev_hash = digest
    conn.executemany(
        "INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    return seq


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The chain's head: (seq, hash) of its last row; (0, GENESIS) for an empty log."""
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


@dataclass(frozen=True)
class Verdict:
    intact: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(conn: sqlite3.Connection) -> Verdict:
    """Walk the chain in seq order; name the first row that breaks it."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    cursor = conn.execute(
        "SELECT seq, at, actor, account, action, target, details, prev_hash, hash"
        " FROM audit ORDER BY seq"
    )
    for seq, at, actor, account, action, target, details, stored_prev, stored_hash in cursor:
        count += 1
        if seq != expected_seq:
            return Verdict(False, count, expected_seq, f"row {expected_seq} is missing")
        if stored_prev != prev_hash:
            return Verdict(False, count, seq, "its link to the previous row is broken")
        content = _content(seq, at, actor, account, action, target, details)
        if row_hash(stored_prev, content) != stored_hash:
            return Verdict(False, count, seq, "its content does not match its hash")
        prev_hash, expected_seq = stored_hash, seq + 1
    return Verdict(True, count)


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str | None
    account: str | None
    action: str
    target: str | None
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "account": self.account,
            "action": self.action,
            "target": self.target,
            "details": self.details,
        }


def entries(
    conn: sqlite3.Connection,
    *,
    account: str | None = None,
    accounts: list[str] | None = None,
    since: str | None = None,
    actor_key: str | None = None,
    limit: int = 50,
) -> list[Entry]:
    """Newest first, filtered."""
    where: list[str] = []
    params: list[str | int] = []
    if account is not None:
        where.append("account = ?")
        params.append(account)
    elif accounts is not None:
        where.append(f"account IN ({','.join('?' * len(accounts))})")
        params.extend(accounts)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if actor_key is not None:
        # Rows name the actor by the user's stored email; match it through the user's
        # key, not SQL lower(), which folds ASCII only ("Ñandú@..." would never match).
        where.append("actor IN (SELECT email FROM users WHERE email_key = ?)")
        params.append(actor_key)
    sql = "SELECT seq, at, actor, account, action, target, details FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    params.append(limit)
    return [
        Entry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))
        for r in conn.execute(sql, params)
    ]
