"""`store bind` / `store unbind`: tie a database login to one colabctl user
(docs/postgres.md, "Who really acted").

On a shared PostgreSQL server `--as` is only a claim. A team that gives each person a
database login of their own binds each login to its user: a bound login acts as that
user and as nobody else, in colabctl (core/session.Session.actor) and in the database
(the audit table's trigger refuses its rows under another name). Only the login that
owns colabctl's tables binds and unbinds; both are audit rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from colabctl.core.identity import email_key
from colabctl.core.session import Context, Session, writing
from colabctl.errors import Conflict, Forbidden, Invalid, NotFound
from colabctl.i18n import _
from colabctl.store.engine import store_class

if TYPE_CHECKING:
    from colabctl.store.sql import Store


def _admin(ctx: Context, verb: str) -> None:
    if not store_class(ctx.store_target()[0]).has_logins:
        raise Invalid(
            _(
                "store %(command)s needs a store on a PostgreSQL server: a SQLite file has no"
                " database logins (whoever can open the file is trusted)"
            )
            % {"command": verb},
            hint=_("docs/postgres.md, 'Who really acted'"),
        )


def _owner_only(s: Session, verb: str) -> Store:
    """The session's store, if its login owns colabctl's tables; else 5."""
    store = s.store
    if not store.owns_tables():
        if verb == "bind":
            said = _(
                "only the database login that owns colabctl's tables may bind logins;"
                " %(login)s does not"
            )
        else:
            said = _(
                "only the database login that owns colabctl's tables may unbind logins;"
                " %(login)s does not"
            )
        raise Forbidden(
            said % {"login": store.db_login},
            hint=_("run it as that login (the one that created the store)"),
        )
    return store


def _bound_to(s: Session, login: str) -> str | None:
    """The email of the user LOGIN is bound to, if any."""
    row = s.conn.execute(
        "SELECT u.email FROM store_bindings b JOIN users u ON u.id = b.user_id WHERE b.login = ?",
        (login,),
    ).fetchone()
    return str(row[0]) if row else None


def _actor_or_none(s: Session) -> str | None:
    """The acting user's email for the audit row, if there is one (the row's db_login
    names the login that ran it in any case). A bound login acts as its user or not at
    all (5), as everywhere."""
    if s.store.bound_email is not None:
        return s.actor().email
    email = s.ctx.actor_email()
    user = s.user_by_email(email) if email else None
    return user.email if user else None


def bind(ctx: Context, login: str, email: str) -> bool:
    """Bind LOGIN to the user EMAIL. False when it already was (nothing written)."""
    _admin(ctx, "bind")
    with writing(ctx) as s:
        store = _owner_only(s, "bind")
        if not store.login_exists(login):
            raise NotFound(_("no database login %(login)r on this server") % {"login": login})
        user = s.user_by_email(email)
        if user is None:
            raise NotFound(
                _("%(email)s is not a registered user") % {"email": email},
                hint=_("run `colabctl login %(email)s` first") % {"email": email},
            )
        bound = _bound_to(s, login)
        if bound is not None:
            if email_key(bound) == email_key(user.email):
                return False
            raise Conflict(
                _("the database login %(login)s is already bound to %(user)s")
                % {"login": login, "user": bound},
                hint=_("`colabctl store unbind %(login)s` first") % {"login": login},
            )
        s.conn.execute(
            "INSERT INTO store_bindings (login, user_id, bound_at) VALUES (?, ?, ?)",
            (login, user.id, s.now_iso),
        )
        store.grant(login)  # exactly what its user needs; the policies narrow it to theirs
        s.record("store.bind", target=login, details={"user": user.email}, actor=_actor_or_none(s))
        return True


def unbind(ctx: Context, login: str) -> str:
    """Undo LOGIN's binding; the user it was bound to."""
    _admin(ctx, "unbind")
    with writing(ctx) as s:
        store = _owner_only(s, "unbind")
        bound = _bound_to(s, login)
        if bound is None:
            raise NotFound(
                _("the database login %(login)s is not bound to anyone") % {"login": login}
            )
        s.conn.execute("DELETE FROM store_bindings WHERE login = ?", (login,))
        if store.login_exists(login):
            store.revoke(login)  # every privilege it held on the store
        s.record("store.unbind", target=login, details={"user": bound}, actor=_actor_or_none(s))
        return bound
