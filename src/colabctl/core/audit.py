"""`audit log`, `audit verify` and `audit head`: the chain (store/audit.py) read under the
rules of who may look at an account (docs/commands.md); what verify proves is in
docs/storage.md."""

from __future__ import annotations

import re

from colabctl.core import access
from colabctl.core.clock import parse_since
from colabctl.core.identity import email_key
from colabctl.core.session import Context, reading
from colabctl.errors import Invalid
from colabctl.store.audit import GENESIS, Entry, Verdict, entries, head, verify

__all__ = ["GENESIS", "Entry", "Verdict", "parse_anchor", "read_head", "read_log", "verify_store"]

_ANCHOR = re.compile(r"([0-9]{1,18}):([0-9a-fA-F]{64})")


def read_log(
    ctx: Context,
    *,
    account: str | None = None,
    since: str | None = None,
    actor: str | None = None,
    limit: int = 50,
) -> list[Entry]:
    """`audit log`: an account's rows, for its owner and active collaborators."""
    if limit < 1:
        raise Invalid("--limit must be at least 1")
    cutoff = parse_since(since) if since else None
    with reading(ctx) as s:
        acct = access.readable(s, account)
        return entries(
            s.conn,
            account=acct.slug,
            since=cutoff,
            actor_key=email_key(actor) if actor else None,
            limit=limit,
        )


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as `audit head` prints it; anything else exits 6."""
    from colabctl.core.names import quoted

    found = _ANCHOR.fullmatch(text.strip())
    seq, digest = (int(found[1]), found[2].lower()) if found else (-1, "")
    if found is None or (seq == 0 and digest != GENESIS):
        raise Invalid(
            f"bad anchor {quoted(text)}: expected SEQ:HASH, a row number and its 64-hex-digit hash",
            hint="`colabctl audit head` prints one",
        )
    return seq, digest


def verify_store(ctx: Context, *, anchor: str | None = None) -> Verdict:
    """`audit verify`: the chain, its head, the data it accounts for, and an anchor."""
    kept = parse_anchor(anchor) if anchor is not None else None
    with reading(ctx) as s:
        s.store.owner_work("audit verify")
        return verify(s.conn, kept)


def read_head(ctx: Context) -> tuple[int, str]:
    """`audit head`: (0, 64 zeros) for an empty or missing store."""
    with reading(ctx) as s:
        return head(s.conn)
