"""Users: logging in (registering on first use), logging out, the current account of
whoever acts, and `whoami`."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from colabctl.core.access import Standing, held_permissions, roles_of, standing_of
from colabctl.core.catalog import Permission
from colabctl.core.collaborators import pending_for
from colabctl.core.config import read_config, set_current_account, write_config
from colabctl.core.identity import email_key, normalize_email
from colabctl.core.names import clean_text
from colabctl.core.session import Context, Session, User, reading, writing
from colabctl.errors import Forbidden
from colabctl.i18n import N_, _

if TYPE_CHECKING:
    from colabctl.core import shapes


def login(ctx: Context, email: str, *, name: str | None = None) -> tuple[User, bool]:
    """Become EMAIL, registering it if new. Returns the user and whether it was created."""
    user, created = register(ctx, email, name=name)
    config = read_config()
    config["user"] = user.email
    write_config(config)  # after the store's commit, atomically
    return user, created


def register(ctx: Context, email: str, *, name: str | None = None) -> tuple[User, bool]:
    """Register EMAIL if new (and rename it if NAME changed); the store only."""
    address = normalize_email(email)
    display = clean_text(name, what="name") if name is not None else None
    with writing(ctx) as s:
        bound = s.store.bound_email
        if bound is not None and email_key(bound) != email_key(address):
            # a bound login is its user and nobody else (docs/postgres.md)
            names = {"login": s.store.db_login, "user": bound, "email": address}
            raise Forbidden(
                _(
                    "the database login %(login)s is bound to %(user)s:"
                    " it cannot log in as %(email)s"
                )
                % names,
                hint=_("log in as %(user)s, or connect with the login of %(email)s") % names,
            )
        return register_in(s, address, display)


def register_in(s: Session, address: str, display: str | None) -> tuple[User, bool]:
    """register(), inside the caller's transaction; ADDRESS is already normalised."""
    user = s.user_by_email(address)
    created = user is None
    if user is None:
        s.add_user(address, display)
        s.record("user.create", target=address, details={"name": display}, actor=address)
    elif display is not None and display != user.name:
        s.conn.execute("UPDATE users SET name = ? WHERE id = ?", (display, user.id))
        s.record("user.rename", target=user.email, details={"name": display}, actor=user.email)
    found = s.user_by_email(address)
    assert found is not None
    return found, created


def logout() -> str | None:
    """Forget the logged-in user (and their current account)."""
    config = read_config()
    who = config.pop("user", None)
    if isinstance(who, str):
        current = config.get("current")
        if isinstance(current, dict):
            current.pop(email_key(who), None)
    write_config(config)
    return who if isinstance(who, str) else None


# Whole sentences for each status that leaves someone without a role (the words agree
# with "invitation" in each language).
_NO_ROLE = {
    "pending": N_("you have no role in %(account)s (your invitation is pending)"),
    "expired": N_("you have no role in %(account)s (your invitation is expired)"),
    "declined": N_("you have no role in %(account)s (your invitation is declined)"),
    "revoked": N_("you have no role in %(account)s (your invitation is revoked)"),
}


def _role_in(s: Session, slug: str) -> tuple[User, str, Standing]:
    """The actor's role in SLUG. Someone with a membership row there but no role (pending,
    expired, declined, revoked, ended) was told of the account: 5, with a hint to accept a
    pending invitation; anyone else gets the missing account's answer."""
    acct = s.get_account(slug)
    me = s.actor()
    standing = standing_of(s, acct, me.email)
    if standing.role is None:
        if standing.status is None:
            raise s.no_account(slug)
        names = {"account": slug, "until": standing.access_until}
        if standing.status == "ended":
            raise Forbidden(
                _("you have no role in %(account)s: your access ended on %(until)s") % names,
                hint=_("ask the owner to extend it (`colabctl collaborator set-access-until`)"),
            )
        raise Forbidden(
            _(_NO_ROLE.get(standing.status or "", _NO_ROLE["revoked"])) % names,
            hint=_("accept it with `colabctl accept %(account)s`") % names
            if standing.status == "pending"
            else _("`colabctl whoami` lists your accounts and invitations"),
        )
    return me, standing.role, standing


def use(ctx: Context, slug: str) -> str:
    """Make SLUG the acting user's current account: one they own or work for."""
    with reading(ctx) as s:
        me, role, _ = _role_in(s, slug)
    set_current_account(me.email, slug)
    return role


class MyAccount(NamedTuple):
    """An account where the actor has a role, as `whoami` lists it."""

    slug: str
    name: str
    role: str
    current: bool
    access_until: str | None  # time-boxed access: when it ends; else None

    def as_json(self) -> shapes.MyAccount:
        return {
            "slug": self.slug,
            "name": self.name,
            "role": self.role,
            "current": self.current,
            "access_until": self.access_until,
        }


class MyInvitation(NamedTuple):
    """A pending invitation of the actor's, as `whoami` lists it."""

    account: str
    profile: str | None
    invited_at: str
    expires_at: str | None
    invited_by: str | None

    def as_json(self) -> shapes.MyInvitation:
        return {
            "account": self.account,
            "profile": self.profile,
            "invited_at": self.invited_at,
            "expires_at": self.expires_at,
            "invited_by": self.invited_by,
        }


class WhoAmI(NamedTuple):
    user: User
    accounts: list[MyAccount]
    invitations: list[MyInvitation]

    def as_json(self) -> shapes.WhoAmI:
        return {
            "user": self.user.email,
            "name": self.user.name,
            "accounts": [a.as_json() for a in self.accounts],
            "invitations": [i.as_json() for i in self.invitations],
        }


def whoami(ctx: Context) -> WhoAmI:
    with reading(ctx) as s:
        me = s.actor()
        current = ctx.account_choice(None)
        accounts = []
        for slug, role in roles_of(s, me):
            acct = s.get_account(slug)
            until = None if role == "owner" else standing_of(s, acct, me.email).access_until
            accounts.append(MyAccount(slug, acct.name, role, slug == current, until))
        invitations = [
            MyInvitation(m.account, m.profile, m.invited_at, m.expires_at, m.invited_by)
            for m in pending_for(s, me)
        ]
        return WhoAmI(me, accounts, invitations)


class Role(NamedTuple):
    user: str
    account: str
    role: str
    permissions: list[Permission]

    def as_json(self) -> shapes.RoleAt:
        return {
            "user": self.user,
            "account": self.account,
            "role": self.role,
            "permissions": [p.id for p in self.permissions],
        }


def whoami_at(ctx: Context, slug: str) -> Role:
    """`whoami --account SLUG`: my role and what it lets me do there."""
    with reading(ctx) as s:
        me, role, standing = _role_in(s, slug)
        return Role(me.email, slug, role, held_permissions(standing))
