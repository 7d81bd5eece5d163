"""The audit head (docs/storage.md, "Audit log"): a guarded one-row record of the chain's
last seq and hash, moved in the transaction of every row, so that `audit verify` catches
what a hash chain alone cannot see: a cut tail, an emptied log, a head that does not match
the last row, and a log with fewer creating rows than the data it must account for. A
rewrite of every row from some point on is caught only with `--anchor`.

Every tampering here is done as an attacker would, on a raw database connection, with the
triggers dropped first (with them in place, each is refused)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BOB,
    CARLA,
    GENESIS,
    OWNER,
    Cli,
    as_owner,
    audit_rows,
    back_to,
    db_refuses,
    drop_guards,
    dump,
    exists,
    failure,
    is_pg,
    made_at,
    raw,
    rehash,
    sqlite_schema,
    verify,
)
from support import ok as succeeded

from colabctl.errors import StoreFault
from colabctl.store import audit
from colabctl.store.db import SqliteConnection, open_empty
from colabctl.store.engine import Target, open_for_read
from colabctl.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.engines("sqlite", "postgres")

Row = dict[str, Any]


# -- helpers --------------------------------------------------------------------------------


def run(cli: Cli, *args: str) -> None:
    succeeded(cli(*args))


def head_record(db_path: Target) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in raw(db_path, "SELECT seq, hash FROM audit_head")[0]]


def dialect(db_path: Target, statement: str | tuple[str, tuple[Any, ...]]) -> Any:
    """STATEMENT as a tamperer would write it for the store's engine: on PostgreSQL an
    upsert for SQLite's OR REPLACE, and a forged audit row names the login writing it (as
    the database demands), so that what refuses it is the head's guard."""
    if not is_pg(db_path):
        return statement
    sql, params = statement if isinstance(statement, tuple) else (statement, ())
    if sql.startswith("UPDATE OR REPLACE "):
        sql = sql.replace("UPDATE OR REPLACE ", "UPDATE ", 1)
    if sql.startswith("INSERT OR REPLACE INTO audit_head "):
        sql = sql.replace("INSERT OR REPLACE INTO", "INSERT INTO", 1)
        sql += " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
    elif sql.startswith(("INSERT INTO audit ", "INSERT OR REPLACE INTO audit ")):
        columns, values = sql.split(" VALUES (", 1)
        sql = f"{columns[:-1]}, db_login) VALUES ({values[:-1]}, session_user)"
        if sql.startswith("INSERT OR REPLACE"):
            sql = sql.replace("INSERT OR REPLACE INTO", "INSERT INTO", 1)
            sql += " ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash"
    return (sql, params)


def tamper(db_path: Target, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Statements on a raw autocommit connection, the way a tamperer would run them."""
    raw(db_path, *(dialect(db_path, statement) for statement in statements))


def drop_triggers(db_path: Target) -> None:
    taken = drop_guards(db_path)
    assert {"audit_no_update", "audit_no_delete", "audit_head_forward"} <= set(taken)


def set_head(db_path: Target, seq: int, digest: str) -> None:
    tamper(db_path, ("UPDATE audit_head SET seq = ?, hash = ?", (seq, digest)))


def broken(cli: Cli, seq: int | None, problem: str, *args: str) -> dict[str, Any]:
    code, verdict, text = verify(cli, *args)
    assert code == 1, verdict
    assert verdict["intact"] is False
    assert verdict["first_bad_seq"] == seq, verdict
    assert problem in verdict["problem"], verdict
    first = text.splitlines()[0]
    assert first.startswith(f"broken at seq {seq}: " if seq else "broken: "), text
    assert problem in first
    return verdict


def state_broken(cli: Cli, *needles: str) -> dict[str, Any]:
    """The chain holds, but the state it describes is not the tables': a break (in the
    JSON and on a `broken: ` line) names each of NEEDLES."""
    code, verdict, text = verify(cli)
    assert code == 1, verdict
    assert (verdict["intact"], verdict["first_bad_seq"], verdict["problem"]) == (False, None, None)
    messages = [b["message"] for b in verdict["breaks"]]
    lines = text.splitlines()
    for needle in needles:
        assert any(needle in m for m in messages), (needle, messages)
        assert any(line.startswith("broken: ") and needle in line for line in lines), text
    return verdict


def intact(cli: Cli, *args: str) -> dict[str, Any]:
    code, verdict, text = verify(cli, *args)
    assert code == 0, verdict
    assert verdict["intact"] is True and verdict["first_bad_seq"] is None
    assert text.startswith(f"intact: {verdict['rows']} rows verified")
    return verdict


def anchor_of(row: Row) -> str:
    return f"{row['seq']}:{row['hash']}"


@pytest.fixture
def chain(cli: Cli, db_path: Path, legal_account: str) -> list[Row]:
    """acme-cursos with two profiles; bob invited and active, carla invited last, so the
    log ends with the invitation that created carla (a user and a membership)."""
    run(cli, *as_owner("invite", BOB, "--profile", "soporte", "-a", ACME))
    run(cli, "--as", BOB, "accept", ACME)
    run(cli, *as_owner("invite", CARLA, "--profile", "tecnico", "-a", ACME))
    found = audit_rows(db_path)
    assert [r["action"] for r in found][-3:] == [
        "invitation.create",
        "invitation.accept",
        "invitation.create",
    ]
    assert head_record(db_path) == [(found[-1]["seq"], found[-1]["hash"])]
    return found


# -- the record moves with every row -------------------------------------------------------


def test_the_head_is_the_last_row_after_every_write(cli: Cli, db_path: Path) -> None:
    assert not exists(db_path)
    commands = [
        ("login", OWNER, "--name", "Ana Souza"),
        as_owner("account", "create", ACME, "--name", "Acme"),
        ("login", OWNER, "--name", "Ana Souza"),  # a no-op: no row, the head stays
        as_owner("account", "set-tax-id", ACME, "11.222.333/0001-81", "--country", "BR"),
        as_owner("profile", "create", "soporte", "--preset", "soporte", "-a", ACME),
    ]
    for command in commands:
        run(cli, *command)
        last = audit_rows(db_path)[-1]
        assert head_record(db_path) == [(last["seq"], last["hash"])], command
    assert len(audit_rows(db_path)) == 4
    intact(cli)


def test_head_of_an_empty_store_is_zero_and_the_genesis_hash(cli: Cli, db_path: Path) -> None:
    empty = open_empty()
    try:
        assert audit.head(empty.conn) == (0, GENESIS)
    finally:
        empty.close()
    run(cli, "login", OWNER)
    store = open_for_read(db_path)
    assert store is not None
    try:
        assert audit.head(store.conn) == (1, audit_rows(db_path)[0]["hash"])
    finally:
        store.close()


def test_head_reads_the_record_not_the_last_row(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    raw(db_path, f"DELETE FROM audit WHERE seq = {chain[-1]['seq']}")
    store = open_for_read(db_path)
    assert store is not None
    try:
        assert audit.head(store.conn) == (chain[-1]["seq"], chain[-1]["hash"])
        raw(db_path, "DELETE FROM audit_head")
        with pytest.raises(StoreFault, match="head record is missing"):
            audit.head(store.conn)
    finally:
        store.close()


# -- triggers: guarded like the rows ----------------------------------------------------------


def _forged_next(chain: list[Row]) -> tuple[str, tuple[Any, ...]]:
    last = chain[-1]
    forged = {**last, "seq": last["seq"] + 1, "action": "invitation.create", "target": "m@x.io"}
    return (
        "INSERT INTO audit (seq, at, actor, account, action, target, details, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            forged["seq"],
            forged["at"],
            forged["actor"],
            forged["account"],
            forged["action"],
            forged["target"],
            forged["details"],
            last["hash"],
            rehash(forged, last["hash"]),
        ),
    )


REFUSED: dict[str, Callable[[list[Row]], str | tuple[str, tuple[Any, ...]]]] = {
    "delete the head": lambda _: "DELETE FROM audit_head",
    "a second head": lambda _: f"INSERT INTO audit_head VALUES (2, 0, '{GENESIS}')",
    "replace the head": lambda _: f"INSERT OR REPLACE INTO audit_head VALUES (1, 0, '{GENESIS}')",
    "move the head back": lambda c: (
        "UPDATE audit_head SET seq = ?, hash = ?",
        (c[-2]["seq"], c[-2]["hash"]),
    ),
    "move the head back to genesis": lambda _: f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}'",
    "move the head past the log": lambda _: "UPDATE audit_head SET seq = seq + 1",
    "same seq, another hash": lambda _: "UPDATE audit_head SET hash = upper(hash)",
    "move the head's id": lambda _: "UPDATE audit_head SET id = 2",
    "UPDATE OR REPLACE the head": lambda _: "UPDATE OR REPLACE audit_head SET seq = 0",
    "a row off the end": lambda c: (
        "INSERT INTO audit (seq, at, action, details, prev_hash, hash)"
        " VALUES (?, 'x', 'forged', '{}', ?, 'f')",
        (c[-1]["seq"] + 2, c[-1]["hash"]),
    ),
    "a row at the head linked to another": lambda c: (
        "INSERT INTO audit (seq, at, action, details, prev_hash, hash)"
        " VALUES (?, 'x', 'forged', '{}', ?, 'f')",
        (c[-1]["seq"] + 1, c[-2]["hash"]),
    ),
    # REPLACE deletes the old row without firing audit_no_delete: only the head guard
    # stops a row from being swapped in place this way.
    "INSERT OR REPLACE over an old row": lambda c: (
        "INSERT OR REPLACE INTO audit (seq, at, action, details, prev_hash, hash)"
        " VALUES (?, 'x', 'forged', '{}', ?, 'f')",
        (3, c[1]["hash"]),
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_triggers_refuse_every_change_of_the_head_but_one_step_forward(
    db_path: Path, chain: list[Row], name: str
) -> None:
    before = dump(db_path)
    db_refuses(db_path, dialect(db_path, REFUSED[name](chain)))
    assert dump(db_path) == before


def test_the_head_moves_forward_by_one_linked_row_only(
    cli: Cli, db_path: Path, chain: list[Row]
) -> None:
    """With the row triggers' help alone (no colabctl), one step forward is the only move
    the head accepts, and only onto a row that exists and links to it."""
    sql, params = _forged_next(chain)
    move = "UPDATE audit_head SET seq = ?, hash = ?"
    if is_pg(db_path):
        # PostgreSQL refuses at COMMIT a row left past the head (docs/storage.md): the row
        # and the head's move are one transaction there, so "past its head" never shows
        forged = dialect(db_path, (sql, params))
        db_refuses(db_path, forged, match="past the head")
        db_refuses(  # not that row's hash
            db_path,
            "BEGIN",
            forged,
            (move, (chain[-1]["seq"] + 1, "e" * 64)),
            match="only moves forward",
        )
        raw(db_path, "BEGIN", forged, (move, (chain[-1]["seq"] + 1, params[-1])), "COMMIT")
    else:
        tamper(db_path, (sql, params))  # the row is allowed in at the head...
        broken(cli, chain[-1]["seq"] + 1, "goes past its head")  # ...but it is not the head
        db_refuses(  # not that row's hash
            db_path, (move, (chain[-1]["seq"] + 1, "e" * 64)), match="only moves forward"
        )
        set_head(db_path, chain[-1]["seq"] + 1, params[-1])
    # a forged row written with the hash right and the head moved: the one thing the
    # chain cannot tell from a real write (the triggers only say where rows may go); but
    # the row claims an invitation the tables do not hold, which the replay names
    state_broken(
        cli,
        "user m@x.io, whom the log creates, is not in the store",
        "acme-cursos: a membership of m@x.io that the log holds is not in the store",
    )


# -- verify: a cut tail, an emptied log, a wrong head -------------------------------------------


def test_a_deleted_last_row_is_a_cut_tail(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    intact(cli)  # dropping the triggers alone breaks nothing
    last = chain[-1]["seq"]
    raw(db_path, f"DELETE FROM audit WHERE seq = {last}")
    verdict = broken(cli, last, f"row {last} is missing")
    assert f"the log ends at seq {last - 1}" in verdict["problem"]
    assert verdict["head"] == {"seq": last, "hash": chain[-1]["hash"]}


def test_several_rows_cut_from_the_tail(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    last = chain[-1]["seq"]
    raw(db_path, f"DELETE FROM audit WHERE seq > {last - 3}")
    broken(cli, last - 2, f"rows {last - 2} to {last} are missing")


def test_every_row_deleted_is_an_emptied_log(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    raw(db_path, "DELETE FROM audit")
    verdict = broken(cli, 1, f"the log is empty, but its head says seq {len(chain)}")
    assert verdict["rows"] == 0


def test_a_deleted_middle_row(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    raw(db_path, "DELETE FROM audit WHERE seq = 4")
    broken(cli, 4, "row 4 is missing")
    # an anchor past the end is judged against the table's last row, not the last good one
    last = chain[-1]["seq"]
    verdict = broken(cli, 4, "row 4 is missing", "--anchor", f"{last + 1}:{'a' * 64}")
    assert verdict["anchor"]["problem"] == (
        f"the anchor's row {last + 1} is missing (the log ends at seq {last})"
    )


def test_a_deleted_head_record(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    raw(db_path, "DELETE FROM audit_head")
    verdict = broken(cli, None, "the head record is missing")
    assert verdict["head"] is None
    failure(cli("audit", "head"), 7, hint="audit verify")
    # and nothing can be written on top of it: the next write refuses, changing nothing
    before = dump(db_path)
    result = cli(*as_owner("profile", "create", "financiero", "--preset", "financiero"))
    failure(result, 7, hint="audit verify")
    assert dump(db_path) == before


def test_a_dropped_head_table(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    raw(db_path, "DROP TABLE audit_head")
    broken(cli, None, "the head record is missing")
    failure(cli("audit", "head"), 7)


def test_a_head_with_another_hash(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    drop_triggers(db_path)
    set_head(db_path, chain[-1]["seq"], "a" * 64)
    broken(cli, chain[-1]["seq"], "its hash is not the one the head records")


def test_a_head_moved_back_over_rows_that_are_still_there(
    cli: Cli, db_path: Path, chain: list[Row]
) -> None:
    drop_triggers(db_path)
    set_head(db_path, chain[-3]["seq"], chain[-3]["hash"])
    broken(cli, chain[-2]["seq"], f"goes past its head (seq {chain[-3]['seq']})")


def test_a_cut_tail_stays_visible_after_the_next_write(
    cli: Cli, db_path: Path, chain: list[Row]
) -> None:
    """The next row follows the head record, not the cut log, so the gap stays."""
    drop_triggers(db_path)
    last = chain[-1]["seq"]
    raw(db_path, f"DELETE FROM audit WHERE seq = {last}")
    run(cli, *as_owner("profile", "create", "financiero", "--preset", "financiero"))
    assert [r["seq"] for r in audit_rows(db_path)][-2:] == [last - 1, last + 1]
    broken(cli, last, f"row {last} is missing")


# -- verify: a log short of the data it accounts for ---------------------------------------------


def test_an_emptied_log_with_its_head_reset(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    """Rows and head both wiped to a consistent empty chain: the data still gives it away."""
    drop_triggers(db_path)
    raw(db_path, "DELETE FROM audit")
    set_head(db_path, 0, GENESIS)
    verdict = state_broken(
        cli, f"a user {OWNER} that no audit row created", "acme-cursos: an account that no audit"
    )
    assert verdict["rows"] == 0 and verdict["state_from"] == 1


def test_a_tail_cut_with_its_head_rewound(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    """Carla's invitation (the last row) cut and the head rewound onto the row before: a
    consistent chain, but carla's user and membership are in the store with no row."""
    drop_triggers(db_path)
    raw(db_path, f"DELETE FROM audit WHERE seq = {chain[-1]['seq']}")
    set_head(db_path, chain[-2]["seq"], chain[-2]["hash"])
    state_broken(
        cli,
        f"a user {CARLA} that no audit row created",
        f"acme-cursos: a membership of {CARLA} that no audit row created",
    )


@pytest.mark.parametrize(
    ("action", "named"),
    [
        ("account.create", "acme-cursos: an account that no audit row created"),
        ("profile.create", "acme-cursos: a profile soporte that no audit row created"),
        ("user.create", f"a user {OWNER} that no audit row created"),
    ],
)
def test_each_kind_of_data_needs_its_creating_row(
    cli: Cli, db_path: Path, chain: list[Row], action: str, named: str
) -> None:
    """Rows turned into another action and the chain rehashed from there, head moved to
    match: a consistent chain, but the replay does not rebuild what the tables hold."""
    drop_triggers(db_path)
    first = next(r for r in chain if r["action"] == action)
    prev = chain[first["seq"] - 2]["hash"] if first["seq"] > 1 else GENESIS
    for row in chain[first["seq"] - 1 :]:
        if row["seq"] == first["seq"]:
            row = {**row, "action": "user.rename"}
        digest = rehash(row, prev)
        raw(
            db_path,
            (
                "UPDATE audit SET action = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (row["action"], prev, digest, row["seq"]),
            ),
        )
        prev = digest
    set_head(db_path, chain[-1]["seq"], prev)
    state_broken(cli, named)


def test_deleted_profiles_keep_their_creating_rows_and_still_verify(
    cli: Cli, db_path: Path, chain: list[Row]
) -> None:
    run(cli, *as_owner("profile", "create", "financiero", "--preset", "financiero"))
    run(cli, *as_owner("profile", "delete", "financiero"))
    run(cli, *as_owner("collaborator", "remove", BOB))
    run(cli, *as_owner("invite", BOB, "--profile", "soporte"))  # a second membership
    intact(cli)


# -- a rewrite from some point on: only an anchor sees it ---------------------------------------


def _rewrite_from(db_path: Path, chain: list[Row], seq: int) -> str:
    """Backdate row `seq` and recompute every hash from there, head included."""
    prev: str = chain[seq - 2]["hash"]
    for row in chain[seq - 1 :]:
        if row["seq"] == seq:
            row = {**row, "at": "2020-01-01T00:00:00Z"}
        digest = rehash(row, prev)
        raw(
            db_path,
            (
                "UPDATE audit SET at = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (row["at"], prev, digest, row["seq"]),
            ),
        )
        prev = digest
    set_head(db_path, chain[-1]["seq"], prev)
    return prev


def test_a_rewritten_tail_is_caught_only_with_an_anchor(
    cli: Cli, db_path: Path, chain: list[Row]
) -> None:
    kept = anchor_of(chain[-1])  # what CI logged before the tampering
    early = anchor_of(chain[2])  # kept before the rewritten part
    drop_triggers(db_path)
    new_head = _rewrite_from(db_path, chain, 5)

    assert intact(cli)["head"] == {"seq": chain[-1]["seq"], "hash": new_head}  # undetected
    last = chain[-1]["seq"]
    verdict = broken(cli, last, "has another hash than the anchor", "--anchor", kept)
    assert verdict["anchor"] == {
        "seq": last,
        "hash": chain[-1]["hash"],
        "in_chain": False,
        "problem": verdict["problem"],
    }
    # an anchor from before the rewrite is still in the chain: it proves the prefix only
    assert intact(cli, "--anchor", early)["anchor"]["in_chain"] is True


def test_an_anchor_beyond_a_rewound_log(cli: Cli, db_path: Path, chain: list[Row]) -> None:
    """The last two rows (bob's acceptance, carla's invitation) cut, what they did undone
    in the data, and the head rewound to match: a consistent, shorter history that the
    chain and the data check cannot tell from a real one. The anchor can."""
    kept = anchor_of(chain[-2])  # the head just after bob accepted
    drop_triggers(db_path)
    raw(db_path, f"DELETE FROM audit WHERE seq >= {chain[-2]['seq']}")
    # undo what the cut rows did, so the data check has nothing to go on either
    raw(
        db_path,
        "DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE email_key = "
        f"'{CARLA}')",
        f"DELETE FROM users WHERE email_key = '{CARLA}'",
        "UPDATE memberships SET status = 'pending', responded_at = NULL",
    )
    set_head(db_path, chain[-3]["seq"], chain[-3]["hash"])
    intact(cli)
    broken(
        cli, chain[-2]["seq"], f"the anchor's row {chain[-2]['seq']} is missing", "--anchor", kept
    )


# -- m004 on a store made at schema 2 ------------------------------------------------------------

M004 = "m004_audit_head"


@pytest.mark.engines("sqlite")  # SQLite's m004 (PostgreSQL's schema: tests/store/test_pg_schema.py)
def test_m004_backfills_the_head_of_an_older_store(
    cli: Cli, db_path: Path, tmp_path: Path, chain: list[Row]
) -> None:
    old = tmp_path / "old.db"
    made_at(old, M004)
    back_to(db_path, M004)
    assert sqlite_schema(db_path) == sqlite_schema(old)  # as a store made back then
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] < 4

    head = cli("audit", "head")  # a read migrates the store forward
    succeeded(head)
    assert head.stdout == f"{anchor_of(chain[-1])}\n"
    assert head_record(db_path) == [(chain[-1]["seq"], chain[-1]["hash"])]
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    intact(cli, "--anchor", anchor_of(chain[-1]))

    run(cli, *as_owner("profile", "create", "financiero", "--preset", "financiero"))
    last = audit_rows(db_path)[-1]
    assert (last["seq"], last["prev_hash"]) == (chain[-1]["seq"] + 1, chain[-1]["hash"])
    assert head_record(db_path) == [(last["seq"], last["hash"])]
    intact(cli, "--anchor", anchor_of(chain[-1]))
    # and the new triggers guard it
    with pytest.raises(sqlite3.IntegrityError):
        raw(db_path, "DELETE FROM audit_head")


@pytest.mark.engines("sqlite")  # SQLite's m004
def test_m004_on_an_older_store_with_no_rows(cli: Cli, db_path: Path) -> None:
    made_at(db_path, M004)
    # not yet migrated (as on read-only media): its head is its last row, here none
    conn = sqlite3.connect(db_path, factory=SqliteConnection)
    try:
        assert audit.head(conn) == (0, GENESIS)
        verdict = audit.verify(conn)
        assert (verdict.intact, verdict.head) == (True, (0, GENESIS))
    finally:
        conn.close()
    head = cli("audit", "head", "--json")
    succeeded(head)
    assert json.loads(head.stdout) == {"seq": 0, "hash": GENESIS}
    assert head_record(db_path) == [(0, GENESIS)]
    intact(cli)
    run(cli, "login", OWNER)
    assert audit_rows(db_path)[0]["prev_hash"] == GENESIS
    intact(cli)
