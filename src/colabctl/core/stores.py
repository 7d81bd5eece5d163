"""The store as a whole: `store info` (what and where it is) and `store copy` (all of it,
from any engine to any engine) (docs/commands.md, "store info", "store copy").

A copy reads SRC in one snapshot and writes DST in one transaction: every row of every
table with its ids, every audit row with its seq, hashes and db_login as they are. Before
it commits, DST's chain is verified and its head and row counts are held against SRC's;
any difference is a StoreFault (7) and the transaction rolls back. Engine differences
live in store/copying.py; nothing here asks which engine a store is on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from colabctl.core.audit import Head
from colabctl.core.clock import iso, system_clock
from colabctl.core.session import Context
from colabctl.errors import Conflict, NotFound, StoreFault
from colabctl.i18n import _, shown
from colabctl.store import audit, copying
from colabctl.store.engine import Target, describe, is_url, open_for_read
from colabctl.store.sql import Connection

if TYPE_CHECKING:
    from colabctl.core import shapes
    from colabctl.store.sql import Store

# progress(table, rows copied so far, rows in all): called after every chunk written
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Info:
    engine: str
    location: str  # a URL's password hidden
    schema_version: int
    counts: dict[str, int]
    head: tuple[int, str]
    db_login: str | None  # the database login in use (PostgreSQL); None on SQLite

    def as_json(self) -> shapes.StoreInfo:
        return {
            "engine": self.engine,
            "location": self.location,
            "schema_version": self.schema_version,
            "counts": self.counts,
            "head": Head(*self.head).as_json(),
            "db_login": self.db_login,
        }


@dataclass(frozen=True)
class Copied:
    source: Info
    destination: Info

    @property
    def rows(self) -> int:
        return sum(self.destination.counts.values())

    def as_json(self) -> shapes.StoreCopy:
        return {
            "rows": self.rows,
            "counts": self.destination.counts,
            "head": Head(*self.destination.head).as_json(),
            "source": {"engine": self.source.engine, "location": self.source.location},
            "destination": {
                "engine": self.destination.engine,
                "location": self.destination.location,
            },
        }


def _missing(target: Target) -> NotFound:
    return NotFound(
        _("no store at %(store)s") % {"store": describe(target)},
        hint=_(
            "check --db / COLABCTL_DB (or SRC); a store is created by its first write,"
            " e.g. `colabctl login EMAIL` or `colabctl demo`"
        ),
    )


def target_of(value: str | os.PathLike[str]) -> Target:
    """SRC or DST as given on the command line: a path or a PostgreSQL URL, as --db."""
    return value if isinstance(value, str) and is_url(value) else Path(value)


def _described(store: Store) -> Info:
    """What `store info` says of an open store (inside a snapshot or a transaction)."""
    conn = store.conn
    return Info(
        engine=store.engine,
        location=store.location,
        schema_version=conn.schema_version(),
        counts=copying.counts(conn, everything=store.store_owner),
        head=audit.head(conn),
        db_login=store.db_login,
    )


def info(ctx: Context) -> Info:
    """`store info`: the store --db names, read in one snapshot; never created (3)."""
    target, _ = ctx.store_target()
    store = open_for_read(target)
    if store is None:
        raise _missing(target)
    try:
        with store.snapshot():
            return _described(store)
    finally:
        store.close()


def copy(src: Target, dst: Target, *, progress: Progress | None = None) -> Copied:
    """`store copy SRC DST`: the whole of SRC into the empty DST, or nothing at all.

    Refused before anything is written: a missing SRC (3); DST the very store SRC is
    (4); DST holding tables that are not colabctl's (4); SRC whose chain does not verify
    (7: a copy would carry the break along, and the head triggers would refuse it
    halfway); DST holding any row (4); a PostgreSQL DST whose tables another login owns
    (5)."""
    source = open_for_read(src)
    if source is None:
        raise _missing(src)
    try:
        source.owner_work("store copy")
        with copying.destination(dst) as target:
            if source.place() == target.place():
                raise Conflict(
                    _("SRC and DST are the same store (%(store)s): nothing was copied")
                    % {"store": target.location},
                    hint=_("copy into a new file, or into an empty PostgreSQL database or schema"),
                )
            copying.refuse_foreign(target.conn.live_schema(), target.location)
            with source.snapshot():
                now = iso(system_clock())  # both verdicts judge expiry at one moment
                before, judged = _checked_source(source, now)
                with target.transaction():
                    _refuse_nonempty(target)
                    target.accept_copied_audit()
                    _copy_rows(source.conn, target.conn, before.counts, progress)
                    after = _checked_copy(target, before, judged, now)
            return Copied(before, after)
    finally:
        source.close()


def _checked_source(source: Store, now: str) -> tuple[Info, audit.Verdict]:
    """SRC described, and its verdict: a broken chain is refused (a copy would carry the
    break along, and DST's guards would refuse it halfway); breaks of its state are
    copied as they are, and DST must show the very same ones."""
    verdict = audit.verify(source.conn, now=now)
    if not verdict.chain_intact:
        names = {
            "store": source.location,
            "seq": verdict.first_bad_seq,
            "problem": shown(verdict.problem or ""),
        }
        if verdict.first_bad_seq is not None:
            said = _(
                "the audit chain of %(store)s is broken at seq %(seq)s (%(problem)s):"
                " nothing was copied"
            )
        else:
            said = _("the audit chain of %(store)s is broken (%(problem)s): nothing was copied")
        raise StoreFault(
            said % names,
            hint=_(
                "`colabctl --db %(store)s audit verify` shows where; copy a backup from before"
                " the break"
            )
            % names,
        )
    return _described(source), verdict


def _refuse_nonempty(target: Store) -> None:
    table = copying.first_nonempty(target.conn)
    if table is not None:
        raise Conflict(
            _("DST %(store)s is not empty (it holds %(table)s rows): nothing was copied")
            % {"store": target.location, "table": table},
            hint=_("copy into a new file, or into an empty PostgreSQL database or schema"),
        )


def _copy_rows(
    src: Connection,
    dst: Connection,
    expected: dict[str, int],
    progress: Progress | None,
) -> None:
    total = sum(expected.values())
    done = 0
    if progress is not None:
        progress(copying.TABLES[0].name, 0, total)
    for table in copying.TABLES:
        for chunk in copying.rows(src, table):
            copying.insert(dst, table, chunk)
            done += len(chunk)
            if progress is not None:
                progress(table.name, done, total)


def _checked_copy(target: Store, source: Info, judged: audit.Verdict, now: str) -> Info:
    """DST as written, inside its transaction: its chain verifies and ends at SRC's head,
    every table holds as many rows as SRC's, and its state check finds what SRC's found
    (nothing, for an honest store); else StoreFault, and all rolls back."""
    verdict = audit.verify(target.conn, now=now)
    if not verdict.chain_intact:
        raise _mismatch(
            _(
                "the copy into %(store)s does not match its source: its audit chain does not"
                " verify (%(problem)s); it was rolled back, nothing was written"
            )
            % {"store": target.location, "problem": shown(verdict.problem or "")}
        )
    written = _described(target)
    if written.head != source.head:
        raise _mismatch(
            _(
                "the copy into %(store)s does not match its source: its audit head is"
                " %(head)s, SRC's %(source)s; it was rolled back, nothing was written"
            )
            % {
                "store": target.location,
                "head": _head_text(written.head),
                "source": _head_text(source.head),
            }
        )
    for table, count in source.counts.items():
        if written.counts.get(table) != count:
            raise _mismatch(
                _(
                    "the copy into %(store)s does not match its source: %(table)s: SRC holds"
                    " %(count)d rows, the copy %(copied)s; it was rolled back, nothing was"
                    " written"
                )
                % {
                    "store": target.location,
                    "table": table,
                    "count": count,
                    "copied": written.counts.get(table),
                }
            )
    if verdict.breaks != judged.breaks:
        raise _mismatch(
            _(
                "the copy into %(store)s does not match its source: the state its log"
                " describes is not held as SRC's is; it was rolled back, nothing was written"
            )
            % {"store": target.location}
        )
    return written


def _head_text(head: tuple[int, str]) -> str:
    return f"{head[0]}:{head[1][:12]}"


def _mismatch(message: str) -> StoreFault:
    return StoreFault(
        message, hint=_("report this: `colabctl store copy` must never differ from its SRC")
    )
