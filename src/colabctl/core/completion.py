"""Values for shell completion (docs/config.md, "Shell completion"), read from the store
and never written: a missing store completes nothing and is not created.

Completion follows the rules of who may look (docs/commands.md): it offers the actor's
own accounts and invitations, and the profiles and people of an account the actor may
read, so pressing TAB tells nobody more than `account list` or `collaborator list` would.
"""

from __future__ import annotations

from colabctl.core import access
from colabctl.core.session import STATUS_SQL, Context, reading


def account_slugs(ctx: Context) -> list[str]:
    """The accounts the actor owns or actively collaborates on."""
    with reading(ctx) as s:
        email = ctx.actor_email()
        user = s.user_by_email(email) if email else None
        return [slug for slug, _ in access.roles_of(s, user)] if user else []


def invitation_slugs(ctx: Context) -> list[str]:
    """The accounts the actor has a pending invitation to (for accept and decline)."""
    with reading(ctx) as s:
        email = ctx.actor_email()
        user = s.user_by_email(email) if email else None
        if user is None:
            return []
        rows = s.conn.execute(
            f"SELECT a.slug FROM memberships m JOIN accounts a ON a.id = m.account_id"
            f" WHERE m.user_id = :u AND {STATUS_SQL} = 'pending' ORDER BY a.slug",
            {"u": user.id, "now": s.now_iso},
        ).fetchall()
        return [slug for (slug,) in rows]


def profile_names(ctx: Context, account: str | None) -> list[str]:
    """The profiles of the account (-a, or the one a command would choose)."""
    with reading(ctx) as s:
        acct = access.readable(s, account)
        rows = s.conn.execute(
            "SELECT name FROM profiles WHERE account_id = ? ORDER BY name", (acct.id,)
        ).fetchall()
        return [name for (name,) in rows]


def people(ctx: Context, account: str | None) -> list[str]:
    """The owner and everyone ever invited to the account."""
    with reading(ctx) as s:
        acct = access.readable(s, account)
        rows = s.conn.execute(
            "SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.account_id = ? ORDER BY u.email",
            (acct.id,),
        ).fetchall()
        return [acct.owner_email, *(email for (email,) in rows)]
