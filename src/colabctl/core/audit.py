"""`audit log`, `audit verify` and `audit head`: the chain (store/audit.py) read under the
rules of who may look at an account (docs/commands.md); what verify proves is in
docs/storage.md."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from colabctl.core import access
from colabctl.core.changes import change
from colabctl.core.clock import parse_moment
from colabctl.core.identity import email_key
from colabctl.core.session import Account, Context, Session, reading
from colabctl.errors import Invalid
from colabctl.i18n import _
from colabctl.store.audit import GENESIS, Entry, Verdict, entries, head, verify

if TYPE_CHECKING:
    from colabctl.core import shapes

__all__ = [
    "GENESIS",
    "Entry",
    "Head",
    "Shown",
    "Verdict",
    "Verification",
    "parse_anchor",
    "read_head",
    "read_log",
    "verify_store",
]

_ANCHOR = re.compile(r"([0-9]{1,18}):([0-9a-fA-F]{64})")

# Account data in a row's details (account.create, account.set_tax_id, and apply's rows
# of both): the owner's alone (docs/commands.md, "Who may look").
OWNER_ONLY_DETAILS = ("tax_id", "country", "previous")
TAX_ACTIONS = frozenset({"account.create", "account.set_tax_id"})
# Rows only the owner reads: the review is the owner's (docs/review.md).
OWNER_ONLY_ACTIONS = ("review.ack",)


@dataclass(frozen=True)
class Shown:
    """An audit row as its reader may see it, and what it changed, in words."""

    entry: Entry
    change: str

    def as_json(self) -> shapes.AuditRow:
        row = self.entry
        return {
            "seq": row.seq,
            "at": row.at,
            "actor": row.actor,
            "account": row.account,
            "action": row.action,
            "target": row.target,
            "details": row.details,
            "db_login": row.db_login,
            "change": self.change,
        }


class Head(NamedTuple):
    """The audit head record: the last row's seq and hash (0 and 64 zeros: no rows)."""

    seq: int
    hash: str

    def as_json(self) -> shapes.Head:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class Verification:
    """What `audit verify` found, as its JSON shows it (the verdict: store/audit.py)."""

    verdict: Verdict

    def as_json(self) -> shapes.Verification:
        found = self.verdict
        anchor = found.anchor
        return {
            "intact": found.intact,
            "rows": found.rows,
            "first_bad_seq": found.first_bad_seq,
            "problem": found.problem,
            "head": None if found.head is None else Head(*found.head).as_json(),
            "anchor": None
            if anchor is None
            else {
                "seq": anchor.seq,
                "hash": anchor.hash,
                "in_chain": anchor.in_chain,
                "problem": anchor.problem,
            },
            "breaks": [
                {
                    "kind": b.kind,
                    "account": b.account,
                    "subject": b.subject,
                    "store": b.store,
                    "log": b.log,
                    "message": b.message,
                }
                for b in found.breaks
            ],
            "state_from": found.state_from,
            "state_skipped": found.state_skipped,
        }


def read_log(
    ctx: Context,
    *,
    account: str | None = None,
    since: str | None = None,
    until: str | None = None,
    actor: str | None = None,
    actions: Sequence[str] = (),
    target: str | None = None,
    limit: int = 50,
) -> list[Shown]:
    """`audit log`: an account's rows, for its owner and active collaborators, newest
    first. Different filters narrow together; several ACTIONS (prefixes) widen. A
    collaborator sees no tax ID or country in any row and no review acknowledgement."""
    if limit < 1:
        raise Invalid(_("--limit must be at least 1"))
    now = ctx.clock()
    cut_from = parse_moment(since, now) if since else None
    cut_to = parse_moment(until, now, until=True) if until else None
    with reading(ctx) as s:
        acct = access.choose_account(s, account)
        owner = access.actor_standing(s, acct).owner  # (anyone without a role: exit 3)
        return log_in(
            s,
            acct,
            owner=owner,
            since=cut_from,
            until=cut_to,
            actor_key=email_key(actor) if actor else None,
            actions=[a.strip().lower() for a in actions],
            target=_matching(target) if target is not None else None,
            limit=limit,
        )


def log_in(
    s: Session,
    acct: Account,
    *,
    owner: bool,
    since: str | None = None,
    until: str | None = None,
    actor_key: str | None = None,
    actions: Sequence[str] = (),
    target: Callable[[str], bool] | None = None,
    limit: int = 50,
) -> list[Shown]:
    """ACCT's rows as a reader who is its OWNER (or an active collaborator) may see them,
    in words: what `audit log` prints and the access report's "changes since" lists."""
    found = entries(
        s.conn,
        account=acct.slug,
        since=since,
        until=until,
        actor_key=actor_key,
        actions=actions,
        hidden=() if owner else OWNER_ONLY_ACTIONS,
        target=target,
        limit=limit,
    )
    shown = found if owner else [_without_account_data(e) for e in found]
    return [Shown(e, change(e)) for e in shown]


def _matching(wanted: str) -> Callable[[str], bool]:
    """`--target`'s test: an email by its identity key, anything else ignoring case."""
    text = wanted.strip()
    if "@" in text:
        key = email_key(text)
        return lambda target: email_key(target) == key
    folded = text.casefold()
    return lambda target: target.casefold() == folded


def _without_account_data(entry: Entry) -> Entry:
    """ENTRY as a collaborator may see it: a tax ID, its country (and the one it
    replaced) shown as null; the stored, hashed row is untouched."""
    if entry.action not in TAX_ACTIONS:
        return entry
    details = {k: (None if k in OWNER_ONLY_DETAILS else v) for k, v in entry.details.items()}
    return replace(entry, details=details)


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as `audit head` prints it; anything else exits 6."""
    from colabctl.core.names import quoted

    found = _ANCHOR.fullmatch(text.strip())
    seq, digest = (int(found[1]), found[2].lower()) if found else (-1, "")
    if found is None or (seq == 0 and digest != GENESIS):
        raise Invalid(
            _("bad anchor %(anchor)s: expected SEQ:HASH, a row number and its 64-hex-digit hash")
            % {"anchor": quoted(text)},
            hint=_("`colabctl audit head` prints one"),
        )
    return seq, digest


def verify_store(ctx: Context, *, anchor: str | None = None) -> Verdict:
    """`audit verify`: the chain, its head and an anchor; and the state the log describes
    against the tables. The store is judged as it is: an older one is not migrated (its
    state is then not checked)."""
    kept = parse_anchor(anchor) if anchor is not None else None
    with reading(ctx, migrate=False) as s:
        s.store.owner_work("audit verify")  # it reads every row (docs/postgres.md)
        return verify(s.conn, kept, now=s.now_iso)


def read_head(ctx: Context) -> Head:
    """`audit head`: (0, 64 zeros) for an empty or missing store."""
    with reading(ctx) as s:
        return Head(*head(s.conn))
