"""`audit log` and `audit verify`: the chain (store/audit.py) read under the rules of
who may look at an account (docs/commands.md)."""

from __future__ import annotations

from colabctl.core import access
from colabctl.core.clock import parse_since
from colabctl.core.identity import email_key
from colabctl.core.session import Context, reading
from colabctl.errors import Invalid
from colabctl.store.audit import Entry, Verdict, entries, verify


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


def verify_store(ctx: Context) -> Verdict:
    with reading(ctx) as s:
        return verify(s.conn)
