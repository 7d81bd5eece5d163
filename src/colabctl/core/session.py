"""One command's session with the store: who acts, on which account, at what time.

`writing()` opens the command's one write transaction on whichever engine holds the
store (store/engine.py): SQLite's BEGIN IMMEDIATE, or on PostgreSQL a transaction that
takes the writers' advisory lock first (docs/storage.md); it records the invitations and
offers that expired since the last write before anything else. `reading()` opens one
read snapshot (an absent store reads as empty and is never created; an older one is
migrated first). Both hand out a `Session`, which resolves the actor (on a PostgreSQL
login bound to a user, that user and no other: `store bind`) and the account per
docs/commands.md, and appends the audit rows of the command's mutations in the same
transaction. `status_sql` is the one place a membership's status is derived.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.core.clock import Clock, iso, system_clock
from colabctl.core.identity import email_key
from colabctl.errors import Forbidden, NotFound
from colabctl.i18n import _
from colabctl.store.db import open_empty
from colabctl.store.engine import Target, open_for_read, open_for_write, resolve, store_file

if TYPE_CHECKING:
    from colabctl.store.sql import Connection, Store


# Expiry is judged against the clock at every read: a pending invitation past
# its expiry reads as expired before any write has recorded it, and an active
# collaborator whose access_until has passed reads as ended (docs/ownership.md), with
# no write at all. The one place a membership's status is derived; NOW is the SQL that
# gives the time judged against (the :now parameter, unless a query names it otherwise).
def status_sql(now: str = ":now") -> str:
    return (
        f"CASE WHEN m.status = 'pending' AND m.expires_at <= {now} THEN 'expired'"
        f" WHEN m.status = 'active' AND m.access_until <= {now} THEN 'ended'"
        " ELSE m.status END"
    )


STATUS_SQL = status_sql()


def live_sql(alias: str = "m") -> str:
    """Which rows are live, as stored: pending or active, the rows the memberships_live
    index allows one of per account and person. This picks rows (the one to update, the one
    that speaks for a person); what a row *is* now is status_sql's to say (a live row may
    read as expired or ended). The one stored-status filter on memberships outside the
    expiry bookkeeping below (tests/test_house.py holds it so)."""
    column = f"{alias}.status" if alias else "status"
    return f"{column} IN ('pending', 'active')"


def owned_sql(user: str) -> str:
    """The ids of the accounts USER (SQL: a parameter or a column) owns: the one SQL that
    says which accounts are someone's. core/access.py decides ownership with it
    (`owned_accounts`, `managed`); the session asks it only to suggest a slug and to
    bound the expiry bookkeeping of a server login (tests/test_house.py holds it so)."""
    return f"SELECT id FROM accounts WHERE owner_id = {user}"


def current_membership_sql(account_id: str, user_id: str) -> str:
    """The id of the membership row that speaks for a user in an account: the live one if
    there is one (at most one: the memberships_live index), else the latest. Two index
    lookups, where ORDER BY ... LIMIT 1 sorted in a temporary B-tree."""
    where = f"account_id = {account_id} AND user_id = {user_id}"
    return (
        f"coalesce((SELECT id FROM memberships WHERE {where} AND {live_sql('')}),"
        f" (SELECT max(id) FROM memberships WHERE {where}))"
    )


class User(NamedTuple):
    id: int
    email: str
    name: str | None


class Account(NamedTuple):
    id: int
    slug: str
    name: str
    owner_id: int
    owner_email: str
    tax_country: str | None
    tax_id: str | None
    # Whether it has a tax ID, known also to those who may not read it (on a server only
    # its owner reads the tax ID itself: the `account_data` view, docs/postgres.md).
    legal: bool = False

    @property
    def legal_entity(self) -> bool:
        return self.legal or self.tax_id is not None

    @classmethod
    def of_row(cls, row: Sequence[Any]) -> Account:
        """An account from a row of ACCOUNT_SQL's columns."""
        return cls._make((*row[:7], bool(row[7])))


# An account's row (`Account.of_row`): its tax data read through the `account_data` view,
# which on a server shows them to the account's owner alone (docs/postgres.md).
ACCOUNT_SQL = (
    "SELECT a.id, a.slug, a.name, a.owner_id, u.email, d.tax_country, d.tax_id,"
    " d.legal_entity FROM accounts a JOIN users u ON u.id = a.owner_id"
    " JOIN account_data d ON d.account_id = a.id"
)


def no_account(slug: str, *, suggest: str | None = None) -> NotFound:
    """What a missing account says; an outsider asking about a real one is told the very
    same, so nobody learns that an account exists, let alone who owns it. SUGGEST: the
    closest slug the actor may see (Session.no_account), never a hidden one."""
    from colabctl.core.names import quoted  # only on this path: keeps `can` cold start lean

    hint = _("`colabctl account list` shows yours")
    if suggest is not None:
        hint = _("did you mean %(slug)s? (`colabctl account list` shows yours)") % {"slug": suggest}
    return NotFound(_("no account %(slug)s") % {"slug": quoted(slug)}, hint=hint)


class Context:
    """What the command line said, before anything is looked up.

    (A plain class, not a dataclass: `can` starts faster without importing dataclasses.)
    """

    def __init__(
        self, db: str | None = None, actor: str | None = None, clock: Clock = system_clock
    ) -> None:
        self.db = db  # --db
        self.actor = actor  # --as
        self.clock = clock
        self._config: dict[str, Any] | None = None

    def store_target(self) -> tuple[Target, bool]:
        """The store (a SQLite path or a PostgreSQL URL), and whether it is the default."""
        return resolve(self.db)

    def store_file(self) -> Path | None:
        """The store's SQLite file, if it is one: what an `-o` file must never replace."""
        return store_file(self.store_target()[0])

    def config(self) -> dict[str, Any]:
        if self._config is None:
            from colabctl.core.config import read_config

            self._config = read_config()
        return self._config

    def claimed_actor(self) -> str | None:
        """--as, else $COLABCTL_USER: an actor named for this command."""
        return self.actor or os.environ.get("COLABCTL_USER") or None

    def actor_email(self) -> str | None:
        """--as, else $COLABCTL_USER, else the logged-in user."""
        value = self.claimed_actor()
        if value:
            return value
        user = self.config().get("user")
        return user if isinstance(user, str) else None

    def account_choice(self, explicit: str | None) -> str | None:
        """-a, else $COLABCTL_ACCOUNT, else the acting user's current account."""
        value = explicit or os.environ.get("COLABCTL_ACCOUNT")
        if value:
            return value
        actor = self.actor_email()
        if not actor:
            return None
        from colabctl.core.config import current_account

        return current_account(self.config(), email_key(actor))


class Session:
    def __init__(self, ctx: Context, store: Store, *, writable: bool) -> None:
        self.ctx = ctx
        self.store = store
        self.conn: Connection = store.conn
        self.writable = writable
        self.now = ctx.clock()
        self.now_iso = iso(self.now)
        self._actor: User | None = None
        # Merged into the details of every audit row this session writes: `apply`
        # tags each of its rows with its apply id (docs/team-file.md).
        self.tag: dict[str, Any] = {}
        # Inside `deferred_audit()`: rows waiting to be appended in one go, in order.
        self._deferred: list[tuple[str, str | None, str | None, str, str | None, Any]] | None = None

    # -- people -------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        row = self.conn.execute(
            "SELECT id, email, name FROM users WHERE email_key = ?", (email_key(email),)
        ).fetchone()
        return User(row[0], row[1], row[2]) if row else None

    def add_user(self, address: str, name: str | None = None) -> int:
        """Insert a new user with the normalised ADDRESS (no user has its key yet), or
        exit 6 if it can pass for someone else's: a lookalike (docs/commands.md, "Email
        addresses and identity"). The skeleton check is one lookup in users_skeleton, in
        the caller's write transaction, so two lookalikes cannot slip in side by side."""
        from colabctl.core.identity import refuse_lookalike
        from colabctl.store.keys import skeleton

        refuse_lookalike(address)
        shape = skeleton(address)
        key = email_key(address)
        self.refuse_lookalikes([(address, key, shape)])
        user_id: int = self.conn.execute(
            "INSERT INTO users (email, email_key, skeleton, name, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (address, key, shape, name, self.now_iso),
        ).fetchone()[0]
        return user_id

    def refuse_lookalikes(self, new: list[tuple[str, str, str]]) -> None:
        """Exit 6 if any new (address, key, skeleton) has the skeleton of a stored user with
        another key, or of another new one, naming the first such address."""
        from colabctl.core.identity import looks_like_someone

        found = self.lookalike(new)
        if found is not None:
            raise looks_like_someone(found)

    def lookalike(self, new: list[tuple[str, str, str]]) -> str | None:
        """The first new address (of (address, key, skeleton)) whose skeleton is a stored
        user's with another key, or another new one's; None if there is none. One indexed
        lookup per 500 new users; it only reads."""
        seen: dict[str, str] = {}
        for address, key, shape in new:
            if seen.setdefault(shape, key) != key:
                return address
        # a question about the whole store: a server answers only which shape collides
        colliding = self.store.lookalikes(list(seen.items())) if seen else set()
        return next((address for address, _, shape in new if shape in colliding), None)

    def acting_email(self) -> str:
        """Who runs the command, registered or not (--as, $COLABCTL_USER, the logged-in
        user; on a bound login, its user), or exit 5 when nobody does."""
        email = self._bound(self.ctx.actor_email())
        if not email:
            raise Forbidden(
                _("no user: nobody is logged in"),
                hint=_("run `colabctl login EMAIL`, or pass --as EMAIL"),
            )
        return email

    def actor(self) -> User:
        """The registered user running the command, or exit 5."""
        user = self.known_actor()
        if user is None:
            email = self.acting_email()
            raise Forbidden(
                _("%(email)s is not a registered user") % {"email": email},
                hint=_("run `colabctl login %(email)s` first") % {"email": email},
            )
        return user

    def known_actor(self) -> User | None:
        """The registered user running the command; None when the one named is not a
        registered user: a stranger, who gets for any account the missing account's
        answer before being told that (docs/commands.md, "Who may look"). With no actor
        at all, exit 5 before anything is looked up."""
        if self._actor is None:
            self._actor = self.user_by_email(self.acting_email())
        return self._actor

    def _bound(self, email: str | None) -> str | None:
        """On a store whose database login is bound to a user (`store bind`,
        docs/postgres.md), that user is the only one the login may act as: with no actor
        named (--as, $COLABCTL_USER) it acts as them, whoever is logged in on this
        machine, and anyone else named is refused (5)."""
        bound = self.store.bound_email
        if bound is None:
            return email
        claimed = self.ctx.claimed_actor()  # the logged-in user is a default, not a claim
        if claimed is None or email_key(claimed) == email_key(bound):
            return bound
        names = {"login": self.store.db_login, "user": bound, "claimed": claimed}
        raise Forbidden(
            _("the database login %(login)s is bound to %(user)s: it cannot act as %(claimed)s")
            % names,
            hint=_("drop --as and $COLABCTL_USER, or use %(user)s") % names,
        )

    # -- accounts -----------------------------------------------------------

    def account_by_slug(self, slug: str) -> Account | None:
        row = self.conn.execute(f"{ACCOUNT_SQL} WHERE a.slug = ?", (slug,)).fetchone()
        return Account.of_row(row) if row else None

    def get_account(self, slug: str, *, invitations: bool = False) -> Account:
        """The account SLUG, or the missing account's answer (exit 3), which a stranger
        (known_actor) gets whether or not it exists. INVITATIONS: suggest among the
        actor's pending invitations (accept, decline) rather than their accounts."""
        account = self.account_by_slug(slug) if self.known_actor() is not None else None
        if account is None:
            raise self.no_account(slug, invitations=invitations)
        return account

    def no_account(self, slug: str, *, invitations: bool = False) -> NotFound:
        """no_account(), suggesting the closest slug the actor may see: an account they
        own or actively collaborate on, or with INVITATIONS one they are invited to."""
        from colabctl.core.names import closest

        me = self.known_actor()
        if me is None:
            return no_account(slug)
        wanted = "pending" if invitations else "active"
        rows = self.conn.execute(
            (
                ""
                if invitations
                else f"SELECT slug FROM accounts WHERE id IN ({owned_sql(':u')}) UNION "
            )
            + "SELECT a.slug FROM memberships m JOIN accounts a ON a.id = m.account_id"
            f" WHERE m.user_id = :u AND {STATUS_SQL} = :wanted",
            {"u": me.id, "now": self.now_iso, "wanted": wanted},
        ).fetchall()
        return no_account(slug, suggest=closest(slug, [row[0] for row in rows]))

    def profile_row(self, account: Account, name: str) -> tuple[Any, ...]:
        """(id, name, description, title) of the account's profile NAME, or exit 3."""
        row: tuple[Any, ...] | None = self.conn.execute(
            "SELECT id, name, description, title FROM profiles WHERE account_id = ? AND name = ?",
            (account.id, name),
        ).fetchone()
        if row is None:
            from colabctl.core.names import closest, quoted

            names = self.conn.execute(
                "SELECT name FROM profiles WHERE account_id = ?", (account.id,)
            ).fetchall()
            best = closest(name, [n for (n,) in names])
            said = {"profile": quoted(name), "account": account.slug, "best": best}
            hint = _("`colabctl profile list -a %(account)s` shows them") % said
            if best:
                hint = (
                    _("did you mean %(best)s? (`colabctl profile list -a %(account)s` shows them)")
                    % said
                )
            raise NotFound(_("no profile %(profile)s in %(account)s") % said, hint=hint)
        return row

    # -- audit --------------------------------------------------------------

    def record(
        self,
        action: str,
        *,
        account: str | None = None,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | bool | None = True,
    ) -> None:
        """Append this mutation's audit row (same transaction as the change)."""
        self.record_many([(action, account, target, details)], actor=actor)

    def record_many(
        self,
        rows: list[tuple[str, str | None, str | None, dict[str, Any] | None]],
        *,
        actor: str | bool | None = True,
    ) -> None:
        """Append audit rows (action, account, target, details), in order, in one go."""
        from colabctl.store import audit  # writes only: `can` never loads the chain code

        assert self.writable
        who = self.actor().email if actor is True else (actor or None)
        tag = self.tag
        found = [
            (self.now_iso, who, account, action, target, {**(details or {}), **tag})
            if tag
            else (self.now_iso, who, account, action, target, details)
            for action, account, target, details in rows
        ]
        if self._deferred is not None:
            self._deferred.extend(found)
        else:
            audit.append_many(self.conn, found, db_login=self.store.db_login)

    @contextmanager
    def deferred_audit(self) -> Iterator[None]:
        """Audit rows recorded inside are appended, in the order recorded, when the block
        ends without an error: one read of the head and one statement for a whole
        team-file apply, still in its transaction (nothing inside reads the log). On an
        error nothing is appended, and the caller's transaction rolls back."""
        from colabctl.store import audit

        assert self._deferred is None, "deferred_audit() does not nest"
        self._deferred = []
        try:
            yield
            rows, self._deferred = self._deferred, None
            audit.append_many(self.conn, rows, db_login=self.store.db_login)
        finally:
            self._deferred = None

    def _bookkept(self) -> tuple[str, dict[str, int]]:
        """The expiry bookkeeping this session may write: all of it, unless its login is
        bound to a user, who records only their own accounts' and what was offered to
        them; the rest waits for its own people. A condition with `{}` for the column
        naming that person, and its parameter."""
        me = self.store.bound_user_id
        if me is None:
            return "", {}
        return f" AND (a.id IN ({owned_sql(':me')}) OR {{}} = :me)", {"me": me}

    def expire_due(self) -> None:
        """Record, once, every pending invitation and every ownership offer whose time
        has passed (an expired offer then no longer holds the account's one open slot).
        One query finds both (it runs under every writer's lock): offers first, each
        kind in order of expiry. Their status is judged at every read anyway: this is
        bookkeeping."""
        mine, me = self._bookkept()
        due = self.conn.execute(
            "SELECT 0, t.id, a.slug, u.email, t.expires_at FROM transfers t"
            " JOIN accounts a ON a.id = t.account_id JOIN users u ON u.id = t.to_id"
            f" WHERE t.status = 'open' AND t.expires_at <= :now{mine.format('t.to_id')}"
            " UNION ALL SELECT 1, m.id, a.slug, u.email, m.expires_at FROM memberships m"
            " JOIN accounts a ON a.id = m.account_id JOIN users u ON u.id = m.user_id"
            f" WHERE m.status = 'pending' AND m.expires_at <= :now{mine.format('m.user_id')}"
            " ORDER BY 1, 5, 2",
            {"now": self.now_iso, **me},
        ).fetchall()
        for invitation, row_id, slug, email, expires_at in due:
            if invitation:
                sql = "UPDATE memberships SET status = 'expired', ended_at = expires_at"
            else:
                sql = "UPDATE transfers SET status = 'expired', closed_at = expires_at"
            self.conn.execute(f"{sql} WHERE id = ?", (row_id,))
            self.record(
                "invitation.expire" if invitation else "account.transfer_expire",
                account=slug,
                target=email,
                details={"expired_at": expires_at},
                actor=None,
            )


@contextmanager
def writing(ctx: Context, *, expire: bool = True) -> Iterator[Session]:
    """The command's one write transaction: all of it commits, or none of it. With
    expire=False the caller records due expiries itself (`s.expire_due()`), after
    checks that must see the store before any write (a saved plan's audit head)."""
    # The audit chain's code (and hashlib, ~2-4 ms) is loaded before the writer lock is
    # taken, not by the first s.record() while every other writer waits for it.
    from colabctl.store import audit  # noqa: F401

    target, is_default = ctx.store_target()
    store = open_for_write(target, may_create_folder=is_default)
    try:
        with store.transaction():
            session = Session(ctx, store, writable=True)
            if expire:
                session.expire_due()
            yield session
    finally:
        store.close()


@contextmanager
def reading(ctx: Context, *, migrate: bool = True) -> Iterator[Session]:
    """A read: one snapshot of the store; a missing store reads as an empty one. An older
    store is brought forward first, unless MIGRATE is false (`audit verify`)."""
    target, _ = ctx.store_target()
    store = open_for_read(target, migrate=migrate) or open_empty()
    try:
        with store.snapshot():
            yield Session(ctx, store, writable=False)
    finally:
        store.close()
