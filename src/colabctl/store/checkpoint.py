"""Migration m009's one write: a `store.checkpoint` row, where the log written so far
cannot be replayed into the tables (docs/storage.md, "Checkpoints (m009)").

Rows written before every action's row said enough to redo it (a profile's description,
an acknowledgement's fingerprint) do not rebuild the state. So the migration that brings
the state check folds the log as it stands and holds it against the tables; where they
differ, it appends one account-less checkpoint row holding the whole state the tables
hold (tax IDs as digests), and replay starts from it. A store whose rows replay
(including a new, empty one) gets none. The checkpoint accepts the tables as they are:
run `audit verify` before upgrading.
"""

from __future__ import annotations

from datetime import UTC, datetime

from colabctl.store.audit import Row
from colabctl.store.breaks import differences
from colabctl.store.holdings import read_state
from colabctl.store.kept_names import restore
from colabctl.store.replay import CHECKPOINT, checkpoint_details, fold
from colabctl.store.sql import Connection


def pending_checkpoint(conn: Connection) -> Row | None:
    """The checkpoint row to append (at, actor, account, action, target, details), if the
    log does not replay into the tables; None if it does. Plain SQL without parameters,
    so a PostgreSQL migration may run it on its raw connection."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    replay = fold(
        conn.execute(
            "SELECT seq, at, actor, account, action, target, details FROM audit ORDER BY seq"
        )
    )
    # m009 runs before m011 adds the names history rows keep, and in the same transaction
    # m011 gives back those the log says (store/kept_names.py): held as m011 will leave it
    held = read_state(conn, kept_names=False)
    restore(replay.state, held)
    if not differences(replay.state, held, replay.problems, now):
        return None
    return (now, None, None, CHECKPOINT, None, checkpoint_details(held))
