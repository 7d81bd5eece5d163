"""The audit chain's primitives: append a row, verify the chain, read rows and the head.

One hash-chained row per mutation, written in the mutation's own transaction, and the
chain's head (seq and hash of the last row) in a one-row table of its own, moved forward
by the same transaction (docs/storage.md, "Audit log"). `verify` walks the chain and,
on a store at the current schema, replays the log into the state it describes and holds
it against the tables (store/replay.py, holdings.py, breaks.py). The rules of who may
read which rows live in core/audit.py; on a shared PostgreSQL store the server holds a
team login to them too, through the `audit_log` view rows are read from
(store/pg_security.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from colabctl.errors import StoreFault
from colabctl.i18n import Text, _
from colabctl.store.bulk import no_cyclic_gc
from colabctl.store.schema import SCHEMA_VERSION
from colabctl.store.sql import Connection

if TYPE_CHECKING:  # verify's own modules: loaded by verify, not by every write
    from colabctl.store.breaks import Break
    from colabctl.store.replay import Replay

GENESIS = "0" * 64
HEAD_SINCE = 4  # the schema version (migration m004) that brought the head record


# One encoder, built once: json.dumps() with these options builds a new one per call,
# which was a third of the cost of a 100k-row append.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> str:
    return _CANONICAL.encode(value)


def row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(content)).encode("utf-8")).hexdigest()


_STR = json.encoder.encode_basestring  # what _CANONICAL writes a str with (ensure_ascii=False)


def _text(value: str | None) -> str:
    return "null" if value is None else _STR(value)


def chained_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: str,
    db_login: str | None = None,
) -> str:
    """`row_hash(prev_hash, _content(...))` without the dict and the sort: the canonical
    text written out, keys in sorted order, each value as _CANONICAL writes it. Appending
    uses it; `verify` keeps the general form, so each checks the other
    (tests/store/test_audit_fast_hash.py holds them equal)."""
    login = "" if db_login is None else f'"db_login":{_STR(db_login)},'
    text = (
        f'{{"account":{_text(account)},"action":{_STR(action)},"actor":{_text(actor)},'
        f'"at":{_STR(at)},{login}"details":{_STR(details)},"seq":{int(seq)!r},'
        f'"target":{_text(target)}}}'
    )
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _content(
    seq: int,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: str,
    db_login: str | None = None,
) -> dict[str, Any]:
    """What a row's hash covers. The database login that wrote it (PostgreSQL's
    session_user, migration m008) is part of it where there is one; rows without one
    (every SQLite row) hash exactly as they did before m008."""
    content = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "account": account,
        "action": action,
        "target": target,
        "details": details,
    }
    if db_login is not None:
        content["db_login"] = db_login
    return content


# -- the head --------------------------------------------------------------------------------


def _last_row(conn: Connection) -> tuple[int, str]:
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (last[0], last[1]) if last else (0, GENESIS)


def _head_record(conn: Connection) -> tuple[int, str] | None:
    """The stored head; None when the record is gone (which only tampering does)."""
    found = conn.execute("SELECT seq, hash FROM audit_head").fetchall()
    return (found[0][0], found[0][1]) if len(found) == 1 else None


def head(conn: Connection) -> tuple[int, str]:
    """The chain's head (seq, hash): what a copy kept elsewhere anchors. (0, GENESIS) for
    an empty log.

    Read from the head record, not from the last row, so that a cut tail shows. A store
    older than the record (schema < 4, which colabctl migrates on open) answers with its
    last row, as the migration would backfill it.
    """
    if not conn.has_table("audit_head"):
        if conn.schema_version() < HEAD_SINCE:
            return _last_row(conn)
        raise head_missing()
    return _head_of(conn)


def _head_of(conn: Connection) -> tuple[int, str]:
    """The head record of a store that has the table (one at the current schema)."""
    record = _head_record(conn)
    if record is None:
        raise head_missing()
    return record


def head_missing() -> StoreFault:
    return StoreFault(
        _("the store's audit head record is missing"),
        hint=_("run `colabctl audit verify`; restore the store from a backup"),
    )


# -- appending --------------------------------------------------------------------------------


def append(
    conn: Connection,
    *,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one row and move the head onto it. Must run inside the mutation's write
    transaction, so the change, its row and the head commit together or not at all.

    The row follows the head record, not the last row: after a cut tail, the next row
    leaves a gap that `verify` names, rather than quietly papering over it.
    """
    return append_many(conn, [(at, actor, account, action, target, details)])


# One audit row to append: (at, actor, account, action, target, details).
Row = tuple[str, str | None, str | None, str, str | None, dict[str, Any] | None]


def append_many(conn: Connection, rows: list[Row], *, db_login: str | None = None) -> int:
    """Append rows in order, chained, with one read of the head and one statement (a
    team-file apply writes ~140k rows): `append`'s rules. On SQLite each row goes in
    through the audit_append view (migration m007), whose trigger inserts it and moves the
    head onto it, one row at a time, as SQLite's m004 requires (a row joins only at the
    head, the head moves one row at a time). On PostgreSQL the rows go straight into
    `audit`, each joining the end of the chain, and the head then moves once, onto the
    last (`conn.moves_head_once`). DB_LOGIN is the database login writing them (None on
    SQLite), recorded and hashed with each row. Returns the last seq (the head's if no
    rows)."""
    assert conn.in_transaction, "audit rows are written in the mutation's transaction"
    # transaction() migrates a store before anything is appended: the head table and the
    # view are there (a dropped one is tampering, which `verify` names)
    after = _head_of(conn)
    chained = chain(after, rows, db_login)
    insert_chained(conn, chained)
    return chained[-1][0] if chained else after[0]


def chain(
    after: tuple[int, str], rows: list[Row], db_login: str | None = None
) -> list[tuple[Any, ...]]:
    """ROWS with their seq and hashes, chained on AFTER (the head: seq, hash), as
    `insert_chained` takes them (COLUMNS)."""
    seq, digest = after
    chained = []
    for at, actor, account, action, target, details in rows:
        prev_hash = digest
        seq += 1
        text = canonical(details or {})
        digest = chained_hash(prev_hash, seq, at, actor, account, action, target, text, db_login)
        chained.append((seq, at, actor, account, action, target, text, prev_hash, digest, db_login))
    return chained


COLUMNS = "seq, at, actor, account, action, target, details, prev_hash, hash, db_login"
_MARKS = ", ".join("?" * 10)


def insert_chained(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Append rows that already carry their chain (COLUMNS: seq ... hash, db_login), in
    order, starting at the head: `append_many`'s, or a copied log's as it was (`store
    copy`). On SQLite through the audit_append view (m007), one row and one head move at
    a time; on PostgreSQL straight into `audit`, then the head moves once, onto the last
    (`conn.moves_head_once`)."""
    if not rows:
        return
    if conn.moves_head_once:
        # PostgreSQL's schema (docs/storage.md, "The schema on PostgreSQL"): moving the
        # head once per row would make a long append quadratic there
        conn.executemany(f"INSERT INTO audit ({COLUMNS}) VALUES ({_MARKS})", rows)
        last = rows[-1]
        conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (last[0], last[8]))
        return
    if not conn.has_trigger("audit_append_row"):
        # The view's trigger dropped (only tampering does that; `verify` judges the
        # rest): append as before m007, statement by statement.
        for row in rows:
            conn.execute(f"INSERT INTO audit ({COLUMNS}) VALUES ({_MARKS})", row)
            conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (row[0], row[8]))
        return
    conn.executemany(f"INSERT INTO audit_append ({COLUMNS}) VALUES ({_MARKS})", rows)


# -- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorCheck:
    """Whether a head kept elsewhere (`--anchor SEQ:HASH`) is still in the chain."""

    seq: int
    hash: str
    in_chain: bool
    problem: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What `verify` found. `first_bad_seq` and `problem` are about the chain (its rows,
    its head, an anchor); `breaks` about the state the log describes against the tables,
    checked from seq `state_from`, or skipped (`state_skipped` says why). The problem and
    why the state was skipped are Text: English in JSON, translated when shown."""

    intact: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head: tuple[int, str] | None = None  # the head record; None when it is missing
    anchor: AnchorCheck | None = None
    breaks: tuple[Break, ...] = ()
    state_from: int | None = None
    state_skipped: str | None = None  # "chain broken", "schema 8"
    chain_intact: bool = True  # the rows and the head, whatever an anchor or the state say


@dataclass
class _Walk:
    rows: int = 0
    last: tuple[int, str] = (0, GENESIS)
    first_bad_seq: int | None = None
    problem: str | None = None


def _login_column(conn: Connection) -> str:
    """`db_login`, or NULL on a store older than m008 that is read unmigrated (a SQLite
    file on read-only media): its rows have no login."""
    return "db_login" if "db_login" in conn.columns("audit") else "NULL"


def _walk(conn: Connection, replay: Replay | None = None) -> _Walk:
    """The chain in seq order, up to the first row that breaks it; each row also folded
    into REPLAY, if given, in the same pass (store/replay.py)."""
    walk = _Walk()
    step = replay.row if replay is not None else None
    prev_hash, expected_seq = GENESIS, 1
    cursor = conn.execute(
        f"SELECT seq, at, actor, account, action, target, details, prev_hash, hash,"
        f" {_login_column(conn)} FROM audit ORDER BY seq"
    )
    for seq, at, actor, account, action, target, details, stored_prev, stored_hash, login in cursor:
        walk.rows += 1
        if seq != expected_seq:
            walk.first_bad_seq = expected_seq
            walk.problem = Text("row %(seq)d is missing", seq=expected_seq)
            return walk
        if stored_prev != prev_hash:
            walk.first_bad_seq = seq
            walk.problem = Text("its link to the previous row is broken")
            return walk
        content = _content(seq, at, actor, account, action, target, details, login)
        if row_hash(stored_prev, content) != stored_hash:
            walk.first_bad_seq, walk.problem = seq, Text("its content does not match its hash")
            return walk
        if step is not None:
            step(seq, at, actor, account, action, target, details)
        prev_hash, expected_seq = stored_hash, seq + 1
        walk.last = (seq, stored_hash)
    return walk


def _against_head(walk: _Walk, recorded: tuple[int, str]) -> tuple[int, str] | None:
    """(first bad seq, problem) when the log does not end where its head says."""
    (last_seq, last_hash), (head_seq, head_hash) = walk.last, recorded
    said = {"head": head_seq, "last": last_seq, "first": last_seq + 1}
    if last_seq < head_seq:
        if last_seq == 0:
            return 1, Text("the log is empty, but its head says seq %(head)d", **said)
        if last_seq + 1 == head_seq:
            return last_seq + 1, Text(
                "row %(head)d is missing: the log ends at seq %(last)d, its head is %(head)d",
                **said,
            )
        return last_seq + 1, Text(
            "rows %(first)d to %(head)d are missing: the log ends at seq %(last)d, its head"
            " is %(head)d",
            **said,
        )
    if last_seq > head_seq:
        return head_seq + 1, Text(
            "the log goes past its head (seq %(head)d) to seq %(last)d", **said
        )
    if last_hash != head_hash:
        return head_seq, Text("its hash is not the one the head records")
    return None


def _check_anchor(conn: Connection, anchor: tuple[int, str]) -> AnchorCheck:
    seq, digest = anchor
    if seq == 0:
        found = GENESIS  # every chain starts from it
    else:
        row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            last = _last_row(conn)[0]
            if last == 0:
                problem = Text("the anchor's row %(seq)d is missing (the log is empty)", seq=seq)
            else:
                problem = Text(
                    "the anchor's row %(seq)d is missing (the log ends at seq %(last)d)",
                    seq=seq,
                    last=last,
                )
            return AnchorCheck(seq, digest, False, problem)
        found = row[0]
    if found != digest:
        return AnchorCheck(
            seq,
            digest,
            False,
            Text("row %(seq)d has another hash than the anchor: rewritten", seq=seq),
        )
    return AnchorCheck(seq, digest, True)


def verify(
    conn: Connection, anchor: tuple[int, str] | None = None, *, now: str | None = None
) -> Verdict:
    """Walk the chain and hold it against its head record and (if given) an anchor kept
    elsewhere, naming the first problem found; and, on a store at the current schema whose
    chain holds, replay the log and hold the state it describes against the tables
    (docs/storage.md, "What audit verify checks"). NOW (stored form; default: the clock)
    is what decides which invitations and offers have expired."""
    with no_cyclic_gc():  # store/bulk.py says why
        return _verify(conn, anchor, now)


def verify_chain_only(conn: Connection) -> Verdict:
    """`verify` with the state check off: the chain walk alone and the head, what the
    state check is measured against (bench/audit_verify.py)."""
    return _verify(conn, None, None, state=False)


def _verify(
    conn: Connection, anchor: tuple[int, str] | None, now: str | None, *, state: bool = True
) -> Verdict:
    from colabctl.store.breaks import differences
    from colabctl.store.holdings import read_state
    from colabctl.store.replay import Replay

    version = conn.schema_version()
    replay = Replay() if state and version >= SCHEMA_VERSION else None
    walk = _walk(conn, replay)
    old_store = not conn.has_table("audit_head") and version < HEAD_SINCE
    recorded = _last_row(conn) if old_store else _head_record_or_none(conn)
    checked = _check_anchor(conn, anchor) if anchor is not None else None
    bad: tuple[int | None, str] | None = None
    if walk.problem is not None:
        bad = walk.first_bad_seq, walk.problem
    elif recorded is None:
        bad = None, Text("the head record is missing")
    elif not old_store and (mismatch := _against_head(walk, recorded)) is not None:
        bad = mismatch
    chain_intact = bad is None
    if chain_intact and checked is not None and not checked.in_chain:
        bad = checked.seq, checked.problem or Text("the anchor is not in the chain")
    breaks: tuple[Break, ...] = ()
    skipped = None
    if not chain_intact:
        skipped = Text("chain broken")
    elif not state:
        skipped = Text("not asked")
    elif replay is None:
        skipped = Text("schema %(schema)d", schema=version)
    else:
        at = now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        breaks = tuple(differences(replay.state, read_state(conn), replay.problems, at))
    return Verdict(
        bad is None and not breaks,
        walk.rows,
        None if bad is None else bad[0],
        None if bad is None else bad[1],
        head=recorded,
        anchor=checked,
        breaks=breaks,
        state_from=None if skipped else replay.start if replay else None,
        state_skipped=skipped,
        chain_intact=chain_intact,
    )


def _head_record_or_none(conn: Connection) -> tuple[int, str] | None:
    return _head_record(conn) if conn.has_table("audit_head") else None


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str | None
    account: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    db_login: str | None = None  # the database login that wrote it (PostgreSQL)
    # whether db_login is someone other than the actor: not the actor's bound login
    login_differs: bool = False


def entries(
    conn: Connection,
    *,
    account: str | None = None,
    accounts: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    actor_key: str | None = None,
    actions: Sequence[str] = (),
    hidden: Sequence[str] = (),
    target: Callable[[str], bool] | None = None,
    limit: int = 50,
) -> list[Entry]:
    """Newest first, filtered: rows at SINCE or later and at UNTIL or earlier (stored
    timestamps), by the actor whose identity key is ACTOR_KEY, whose action starts with
    any of ACTIONS (lowercase prefixes), none of whose action is in HIDDEN, and whose
    target TARGET accepts (judged here: an identity key is not SQL's to compute)."""
    if accounts is not None and account is None and not accounts:
        return []
    where, params = _filters(account, accounts, since, until, actor_key, actions, hidden)
    if target is not None:
        where.append("target IS NOT NULL")
    # Through the audit_log view (m010): on a server it holds the rows the login may read,
    # and says whether a row's login is worth showing, not being the actor's own (neither
    # named like the actor nor bound to them: `store bind`, docs/postgres.md).
    sql = (
        "SELECT seq, at, actor, account, action, target, details, db_login, login_differs"
        " FROM audit_log"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC"
    if target is None:
        sql += " LIMIT ?"
        params.append(limit)
    found: list[Entry] = []
    for r in conn.execute(sql, params):
        if target is not None and not target(r[5]):
            continue
        found.append(Entry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], bool(r[8])))
        if len(found) == limit:
            break
    return found


def _filters(
    account: str | None,
    accounts: list[str] | None,
    since: str | None,
    until: str | None,
    actor_key: str | None,
    actions: Sequence[str],
    hidden: Sequence[str],
) -> tuple[list[str], list[str | int]]:
    """`entries`' filters as SQL conditions on the audit_log view, and their values."""
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
    if until is not None:
        where.append("at <= ?")
        params.append(until)
    if actor_key is not None:
        # Rows name the actor by the user's stored email; match it through the user's
        # key, not SQL lower(), which folds ASCII only ("Ñandú@..." would never match).
        where.append("actor IN (SELECT email FROM users WHERE email_key = ?)")
        params.append(actor_key)
    if actions:
        ranges = [_prefix_range(prefix) for prefix in actions]
        where.append(
            "("
            + " OR ".join(
                "action >= ?" if upper is None else "(action >= ? AND action < ?)"
                for _, upper in ranges
            )
            + ")"
        )
        params.extend(bound for pair in ranges for bound in pair if bound is not None)
    if hidden:
        where.append(f"action NOT IN ({','.join('?' * len(hidden))})")
        params.extend(hidden)
    return where, params


def _prefix_range(prefix: str) -> tuple[str, str | None]:
    """The actions that start with PREFIX, as the range [PREFIX, next) in code point order,
    which both engines compare text in (SQLite's BINARY, PostgreSQL's COLLATE "C"): LIKE
    would fold case on one engine and not the other. (next None: no upper bound.)"""
    for end in range(len(prefix), 0, -1):
        if ord(prefix[end - 1]) < 0x10FFFF:
            return prefix, prefix[: end - 1] + chr(ord(prefix[end - 1]) + 1)
    return prefix, None
