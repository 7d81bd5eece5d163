"""The questions about the whole store that colabctl's commands ask, on a SQLite file:
plain queries, as whoever opens the file may read it all. On PostgreSQL a team login
sees only its own rows, and each question goes to a narrow function of the server's
instead (store/pg_security.py); store/db.Store and store/postgres.PgStore answer them
alike, so core asks without knowing the engine.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

ID_TABLES = frozenset({"users", "accounts", "profiles", "memberships", "transfers", "review_acks"})


# An invitation of a registered user, pending (both engines: on PostgreSQL the policies
# judge it; a new user's comes with the user, store/pg_security.add_invitees).
INSERT_MEMBERS = (
    "INSERT INTO memberships (id, account_id, user_id, profile_id, status, invited_by,"
    " invited_at, expires_at, access_until) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)"
)


def slug_taken(conn: sqlite3.Connection, slug: str) -> bool:
    """Whether any account has SLUG."""
    return conn.execute("SELECT 1 FROM accounts WHERE slug = ?", (slug,)).fetchone() is not None


def registered(conn: sqlite3.Connection, emails: Collection[str]) -> set[str]:
    """Which of EMAILS are registered, exactly as given."""
    rows = conn.execute(
        "SELECT email FROM users WHERE email IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(emails)),),
    )
    return {row[0] for row in rows}


def lookalikes(conn: sqlite3.Connection, new: Sequence[tuple[str, str]]) -> set[str]:
    """Of NEW's (skeleton, identity key) pairs, the skeletons that a registered user with
    another key has: which given address collides, never with whom."""
    found: set[str] = set()
    for start in range(0, len(new), 500):
        chunk = new[start : start + 500]
        keys = dict(chunk)
        marks = ",".join("?" * len(keys))
        for shape, key in conn.execute(
            f"SELECT skeleton, email_key FROM users WHERE skeleton IN ({marks})", list(keys)
        ):
            if keys[shape] != key:
                found.add(shape)
    return found


def user_ids(conn: sqlite3.Connection, keys: Collection[str]) -> dict[str, int]:
    """The user id of each identity key that is registered."""
    rows = conn.execute(
        "SELECT email_key, id FROM users WHERE email_key IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(keys)),),
    )
    return {key: int(user_id) for key, user_id in rows}


def next_ids(conn: sqlite3.Connection, tables: Sequence[str]) -> tuple[int, ...]:
    """The id SQLite gives the next row of each of TABLES (max + 1): ids for a bulk insert,
    known ahead, in one statement (it runs under the writer lock)."""
    assert set(tables) <= ID_TABLES, tables
    found = conn.execute(
        "SELECT " + ", ".join(f"(SELECT coalesce(max(id), 0) + 1 FROM {t})" for t in tables)
    ).fetchone()
    return tuple(int(value) for value in found)


def add_invitees(
    conn: sqlite3.Connection, users: Sequence[tuple[Any, ...]], members: Sequence[tuple[Any, ...]]
) -> None:
    """New USERS (id, email, key, skeleton, created_at) and the invitations MEMBERS (id,
    account, user, profile, inviter, invited_at, expires_at, access_until), pending."""
    conn.executemany(
        "INSERT INTO users (id, email, email_key, skeleton, created_at) VALUES (?, ?, ?, ?, ?)",
        users,
    )
    conn.executemany(INSERT_MEMBERS, members)
