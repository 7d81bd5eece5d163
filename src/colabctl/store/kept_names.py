"""Migration m011's one write: the names of deleted profiles, given back to the history
rows an older colabctl left without one (docs/storage.md, "Names of deleted profiles
(m011)").

Until m011, deleting a profile took its name off every row still naming it (declined
and revoked invitations: the schema's ON DELETE SET NULL), though the audit log kept
it. From m011 on such a row keeps the name (`memberships.profile_name`), and replay
(store/replay.py) keeps it too, so `audit verify` would find each older row without the
name the log gives it. So the migration folds the log as verify does and gives a row
its name back where the log names it: the same person's membership in the same place
(each person's rows in order, as verify pairs them), without a profile in the table,
and otherwise just as the log has it (status, expiry, access-until). Where the log does
not name it (replay starts at a checkpoint that an older colabctl wrote after the
delete, holding the row without a name), the name is not known and is not guessed: the
row keeps none, and verify agrees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from colabctl.store.replay import Member, State, fold
from colabctl.store.sql import Connection


def named_again(said: list[Member], held: list[Member]) -> Iterator[tuple[int, str]]:
    """(index, name) for each of a person's memberships HELD (the table's, oldest first,
    without a profile where [0] is None) that the log's SAID names, and agrees with on
    everything else."""
    if len(said) != len(held):
        return  # the rows do not pair up: nothing here is known for sure
    for index, (log, table) in enumerate(zip(said, held, strict=True)):
        if table[0] is None and isinstance(log[0], str) and log[1:] == table[1:]:
            yield index, log[0]


def restore(log: State, held: State) -> None:
    """Give HELD's memberships the names that m011 gives back (named_again), in memory:
    migration m009, running in the same transaction before m011, holds the tables as
    they will be once m011 has run against the log."""
    for slug, people in held.members.items():
        said = log.members.get(slug, {})
        for key, history in people.items():
            for index, name in named_again(said.get(key, []), history):
                history[index][0] = name


def recovered_names(conn: Connection) -> list[tuple[str, int]]:
    """(name, membership id) of each row that m011 gives its name back. Plain SQL without
    parameters, so a PostgreSQL migration may run it on its raw connection."""
    if (
        conn.execute("SELECT 1 FROM memberships WHERE profile_id IS NULL LIMIT 1").fetchone()
        is None
    ):
        return []  # no row lost a profile: no need to read the log
    log = fold(
        conn.execute(
            "SELECT seq, at, actor, account, action, target, details FROM audit ORDER BY seq"
        )
    ).state
    ids: dict[tuple[str, str], list[Any]] = {}
    held: dict[tuple[str, str], list[Member]] = {}
    for member_id, slug, key, profile_id, *rest in conn.execute(
        "SELECT m.id, a.slug, u.email_key, m.profile_id, m.status, m.expires_at, m.access_until"
        " FROM memberships m JOIN accounts a ON a.id = m.account_id"
        " JOIN users u ON u.id = m.user_id ORDER BY m.id"
    ):
        ids.setdefault((slug, key), []).append(member_id)
        held.setdefault((slug, key), []).append([profile_id, *rest])
    return [
        (name, ids[person][index])
        for person, history in held.items()
        for index, name in named_again(log.members.get(person[0], {}).get(person[1], []), history)
    ]
