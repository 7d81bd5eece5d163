"""Collaborators: invitations and their lifecycle.

pending -> active | declined | expired | revoked. Only an active collaborator
holds permissions; history rows stay, so a person can be invited again. An active
collaborator may have an `access_until`: once it has passed they read as `ended` and
hold nothing, until a later date or `never` gives access back (docs/ownership.md).

Each mutation has two forms: `invite(ctx, ...)` is the command (it validates the
input, then opens the one write transaction); `invite_in(s, account, ...)` holds the
rules and the writes and runs inside a caller's transaction, so `apply` runs many
of them in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.core import access
from colabctl.core.clock import DEFAULT_EXPIRY, check_until, iso, parse_until
from colabctl.core.identity import email_key, normalize_email, refuse_lookalike
from colabctl.core.names import quoted
from colabctl.core.session import (
    STATUS_SQL,
    Account,
    Context,
    Session,
    User,
    current_membership_sql,
    live_sql,
    reading,
    writing,
)
from colabctl.core.words import status
from colabctl.errors import Conflict, Invalid, NotFound
from colabctl.i18n import _
from colabctl.store.keys import skeleton

if TYPE_CHECKING:
    from colabctl.core import shapes

STATUSES = ("pending", "active", "expired", "declined", "revoked", "ended")
# Statuses of a row that still speaks for the person (stored pending or active): what
# the memberships_live index holds. An ended collaborator is still one of these.
LIVE = ("pending", "active", "ended")


@dataclass(frozen=True)
class Membership:
    id: int
    account: str
    user: str
    name: str | None
    profile: str | None
    status: str
    invited_at: str
    expires_at: str | None  # null once accepted
    responded_at: str | None
    ended_at: str | None
    invited_by: str | None
    access_until: str | None
    # the profile was deleted since: PROFILE is the name this history row keeps (None when
    # an older colabctl took it off and the log no longer says it: docs/storage.md)
    profile_deleted: bool

    def __post_init__(self) -> None:
        # SQLite answers `m.profile_id IS NULL` with 0 or 1: a bool here, as JSON shows it
        object.__setattr__(self, "profile_deleted", bool(self.profile_deleted))

    def as_json(self) -> shapes.Membership:
        return {
            "user": self.user,
            "account": self.account,
            "profile": self.profile,
            "profile_deleted": self.profile_deleted,
            "status": self.status,
            "invited_at": self.invited_at,
            "expires_at": self.expires_at,
            "responded_at": self.responded_at,
            "ended_at": self.ended_at,
            "invited_by": self.invited_by,
            "access_until": self.access_until,
        }


@dataclass(frozen=True)
class Outcome:
    membership: Membership
    changed: bool
    message: str


# expires_at is the invitation's expiry: once the invitation was accepted (answered, and
# not by declining) it no longer expires, so it reads as null (docs/json.md).
_EXPIRES_SQL = (
    "CASE WHEN m.responded_at IS NOT NULL AND m.status <> 'declined' THEN NULL"
    " ELSE m.expires_at END"
)
_SELECT = (
    f"SELECT m.id, a.slug, u.email, u.name, coalesce(p.name, m.profile_name), {STATUS_SQL},"
    f" m.invited_at, {_EXPIRES_SQL}, m.responded_at, m.ended_at, i.email, m.access_until,"
    " m.profile_id IS NULL FROM memberships m"
    " JOIN accounts a ON a.id = m.account_id JOIN users u ON u.id = m.user_id"
    " LEFT JOIN profiles p ON p.id = m.profile_id LEFT JOIN users i ON i.id = m.invited_by"
)


def _fetch(s: Session, where: str, params: dict[str, Any]) -> list[Membership]:
    rows = s.conn.execute(f"{_SELECT} WHERE {where}", {**params, "now": s.now_iso}).fetchall()
    return [Membership(*r) for r in rows]


def latest(s: Session, account: Account, user_id: int) -> Membership | None:
    """The live membership if there is one, else the most recent row."""
    found = _fetch(
        s, f"m.id = {current_membership_sql(':a', ':u')}", {"a": account.id, "u": user_id}
    )
    return found[0] if found else None


def _by_id(s: Session, member_id: int) -> Membership:
    return _fetch(s, "m.id = :id", {"id": member_id})[0]


def _person(s: Session, account: Account, email: str) -> tuple[User, Membership]:
    if email_key(email) == email_key(account.owner_email):
        names = {"owner": account.owner_email, "account": account.slug}
        raise Conflict(
            _("%(owner)s owns %(account)s: the owner is not a collaborator") % names,
            hint=_(
                "the owner holds every permission; ownership moves only by"
                " `colabctl account transfer %(account)s EMAIL`"
            )
            % names,
        )
    user = s.user_by_email(email)
    member = latest(s, account, user.id) if user else None
    if user is None or member is None:
        from colabctl.core.names import closest

        people = s.conn.execute(
            "SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id"
            " WHERE m.account_id = ?",
            (account.id,),
        ).fetchall()
        best = closest(email, [person for (person,) in people])
        said = {"email": email, "account": account.slug, "best": best}
        raise NotFound(
            _("%(email)s is not a collaborator of %(account)s") % said,
            hint=_("did you mean %(best)s? (`colabctl collaborator list` shows them)") % said
            if best
            else _("invite them: `colabctl invite %(email)s --profile NAME`") % said,
        )
    return user, member


def invite(
    ctx: Context,
    email: str,
    *,
    profile: str,
    expires_in: timedelta = DEFAULT_EXPIRY,
    access_until: str | None = None,
    account: str | None = None,
) -> Outcome:
    """ACCESS_UNTIL is the user's WHEN (clock.parse_until); None: access does not end."""
    address = normalize_email(email)
    if access_until is not None:
        parse_until(access_until, ctx.clock())  # a malformed WHEN fails before the store opens
    with writing(ctx) as s:
        until = parse_until(access_until, s.now) if access_until is not None else None
        return invite_in(
            s, access.managed(s, account), address, profile, expires_in, access_until=until
        )


class Invitation(NamedTuple):
    """One invitation to make: ADDRESS already normalised."""

    address: str
    profile: str
    expires_in: timedelta = DEFAULT_EXPIRY
    access_until: datetime | None = None  # None: access does not end


def invite_in(
    s: Session,
    acct: Account,
    address: str,
    profile: str,
    expires_in: timedelta = DEFAULT_EXPIRY,
    *,
    access_until: datetime | None = None,
) -> Outcome:
    """invite(), inside the caller's transaction; ADDRESS is already normalised.
    ACCESS_UNTIL (None: never) must be after the session's now, else exit 6."""
    ((member_id, created),) = invite_many_in(
        s, acct, [Invitation(address, profile, expires_in, access_until)]
    )
    member = _by_id(s, member_id)
    names = {
        "email": member.user,
        "account": acct.slug,
        "profile": profile,
        "status": status(member.status),
        "expires": member.expires_at,
        "until": member.access_until,
    }
    if not created:
        return Outcome(
            member,
            False,
            _(
                "%(email)s is already %(status)s in %(account)s with profile %(profile)s:"
                " nothing to do"
            )
            % names,
        )
    if member.access_until:
        said = _(
            "invited %(email)s to %(account)s as %(profile)s (expires %(expires)s);"
            " access until %(until)s"
        )
    else:
        said = _("invited %(email)s to %(account)s as %(profile)s (expires %(expires)s)")
    return Outcome(member, True, said % names)


def invite_many_in(
    s: Session, acct: Account, invitations: Sequence[Invitation]
) -> list[tuple[int, bool]]:
    """Invitations into ACCT, in order, inside the caller's transaction: the rules of
    `invite` with a handful of statements for any number of people (team-file apply).
    Returns (membership id, created) per invitation; an invitation already pending or
    active with the same profile is left alone (created False)."""
    batch = _Invitations(s, acct, invitations)
    result = [batch.add(item, key) for item, key in zip(invitations, batch.keys, strict=True)]
    batch.write()
    return result


class _Invitations:
    """One account's invitations, made in bulk: what is there, then the rows to write."""

    def __init__(self, s: Session, acct: Account, invitations: Sequence[Invitation]) -> None:
        self.s, self.acct = s, acct
        self.profile_ids = {
            name: pid
            for pid, name in s.conn.execute(
                "SELECT id, name FROM profiles WHERE account_id = ?", (acct.id,)
            )
        }
        for item in invitations:
            if item.profile not in self.profile_ids:
                s.profile_row(acct, item.profile)  # raises: no such profile
            refuse_lookalike(item.address)  # whether or not the user exists: no lookalike
        self.owner_key = email_key(acct.owner_email)
        self.keys = [email_key(item.address) for item in invitations]
        self.users = users_by_key(s, self.keys)
        # each person's live row (stored pending or active; it may read as expired or ended)
        self.live: dict[int, tuple[int, str, str | None, str | None]] = {
            user_id: (member_id, status, profile, until)
            for member_id, user_id, status, profile, until in s.conn.execute(
                f"SELECT m.id, m.user_id, {STATUS_SQL}, p.name, m.access_until FROM memberships m"
                " LEFT JOIN profiles p ON p.id = m.profile_id"
                f" WHERE m.account_id = :a AND {live_sql()}",
                {"a": acct.id, "now": s.now_iso},
            )
        }
        self.next_user, self.next_member = s.store.next_ids("users", "memberships")
        self.new_users: list[tuple[int, str, str, str, str]] = []
        self.new_members: list[tuple[Any, ...]] = []
        self.rows: list[tuple[str, str | None, str | None, dict[str, Any] | None]] = []
        self.inviter = s.actor().id
        self.expiry: dict[timedelta, str] = {}

    def add(self, item: Invitation, key: str) -> tuple[int, bool]:
        """(membership id, created) for one invitation, its rows queued."""
        s, acct = self.s, self.acct
        if key == self.owner_key:
            raise Conflict(
                _("%(email)s owns %(account)s: the owner already holds everything")
                % {"email": item.address, "account": acct.slug}
            )
        until = (
            check_until(item.access_until, s.now_iso, item.address) if item.access_until else None
        )
        found = self.users.get(key)
        current = self.live.get(found[0]) if found else None
        if found is not None and current is not None and current[1] != "expired":
            return self._already(found[1], current, item.profile, until)
        new_user = found is None
        if found is None:
            found = self.users[key] = (self.next_user, item.address)
            shape = skeleton(item.address)
            self.new_users.append((self.next_user, item.address, key, shape, s.now_iso))
            self.next_user += 1
        expires_at = self.expiry.get(item.expires_in)
        if expires_at is None:
            expires_at = self.expiry[item.expires_in] = iso(s.now + item.expires_in)
        member = self.next_member
        self.next_member += 1
        profile_id = self.profile_ids[item.profile]
        self.new_members.append(
            (member, acct.id, found[0], profile_id, self.inviter, s.now_iso, expires_at, until)
        )
        self.live[found[0]] = (member, "pending", item.profile, until)
        details: dict[str, Any] = {
            "profile": item.profile,
            "expires_at": expires_at,
            "new_user": new_user,
        }
        if until is not None:
            details["access_until"] = until
        self.rows.append(("invitation.create", acct.slug, item.address, details))
        return member, True

    def _already(
        self,
        email: str,
        current: tuple[int, str, str | None, str | None],
        profile: str,
        until: str | None,
    ) -> tuple[int, bool]:
        """Someone with a live row (pending, active or ended; an expired one is invited
        anew): the same invitation again is a no-op, else exit 4."""
        member, now, held, their_until = current
        names = {
            "email": email,
            "account": self.acct.slug,
            "status": status(now),
            "held": held,
            "profile": profile,
            "until": their_until,
        }
        if now == "ended":
            raise Conflict(
                _("the access of %(email)s to %(account)s ended on %(until)s") % names,
                hint=_(
                    "give it back: `colabctl collaborator set-access-until %(email)s never`"
                    " (or a later date)"
                )
                % names,
            )
        if held != profile:
            raise Conflict(
                _("%(email)s is already %(status)s in %(account)s with profile %(held)s") % names,
                hint=_("change it with `colabctl collaborator set-profile %(email)s %(profile)s`")
                % names,
            )
        if until is not None and their_until != until:
            if their_until is None:
                said = _(
                    "%(email)s is already %(status)s in %(account)s with access that does not end"
                )
            else:
                said = _(
                    "%(email)s is already %(status)s in %(account)s with access until %(until)s"
                )
            raise Conflict(
                said % names,
                hint=_("change it with `colabctl collaborator set-access-until %(email)s WHEN`")
                % names,
            )
        return member, False

    def write(self) -> None:
        s = self.s
        s.refuse_lookalikes([(address, key, shape) for _, address, key, shape, _ in self.new_users])
        s.store.add_invitees(self.new_users, self.new_members)  # each new user with its invitation
        s.record_many(self.rows)


def users_by_key(s: Session, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Registered users among identity KEYS: key -> (id, email as stored). Which ids is a
    question about the whole store; the email as stored is read where the actor may
    read the user (on a server, not of a stranger: "" then, shown nowhere, as such a
    user has no live membership here)."""
    import json

    ids = s.store.user_ids(set(keys))
    emails = {
        user_id: email
        for user_id, email in s.conn.execute(
            "SELECT id, email FROM users"
            " WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (json.dumps(sorted(ids.values())),),
        )
    }
    return {key: (user_id, emails.get(user_id, "")) for key, user_id in ids.items()}


def _own_invitation(s: Session, slug: str, verb: str) -> Membership:
    account = s.get_account(slug, invitations=True)
    me = s.actor()
    member = latest(s, account, me.id)
    if member is None:
        # never invited there: as if there were no such account
        raise s.no_account(slug, invitations=True)
    names = {
        "account": slug,
        "expires": member.expires_at,
        "owner": account.owner_email,
        "email": member.user,
        "status": status(member.status),
    }
    if member.status == "expired":
        raise Conflict(
            _("your invitation to %(account)s expired on %(expires)s") % names,
            hint=_("ask the owner (%(owner)s) for `colabctl invitation renew %(email)s`") % names,
        )
    if member.status != "pending":
        if verb == "accept":
            said = _(
                "your invitation to %(account)s is no longer pending (%(status)s): nothing to"
                " accept"
            )
        else:
            said = _(
                "your invitation to %(account)s is no longer pending (%(status)s): nothing to"
                " decline"
            )
        raise Conflict(said % names)
    return member


def accept(ctx: Context, slug: str) -> Outcome:
    with writing(ctx) as s:
        member = _own_invitation(s, slug, "accept")
        if member.access_until is not None and member.access_until <= s.now_iso:
            # accepting would make them active and ended at once: say so instead
            names = {"account": slug, "until": member.access_until, "email": member.user}
            raise Conflict(
                _("the access your invitation to %(account)s offers ended on %(until)s") % names,
                hint=_("ask the owner for `colabctl collaborator set-access-until %(email)s WHEN`")
                % names,
            )
        s.conn.execute(
            "UPDATE memberships SET status = 'active', responded_at = ? WHERE id = ?",
            (s.now_iso, member.id),
        )
        s.record(
            "invitation.accept",
            account=slug,
            target=member.user,
            details={"profile": member.profile},
        )
        said = _("you are now a collaborator of %(account)s as %(profile)s") % {
            "account": slug,
            "profile": member.profile,
        }
        return Outcome(_by_id(s, member.id), True, said)


def decline(ctx: Context, slug: str) -> Outcome:
    with writing(ctx) as s:
        member = _own_invitation(s, slug, "decline")
        s.conn.execute(
            "UPDATE memberships SET status = 'declined', responded_at = ?, ended_at = ?"
            " WHERE id = ?",
            (s.now_iso, s.now_iso, member.id),
        )
        s.record(
            "invitation.decline",
            account=slug,
            target=member.user,
            details={"profile": member.profile},
        )
        said = _("you declined the invitation to %(account)s") % {"account": slug}
        # declined is a stored, final status (never derived): the row as read back
        now = s.now_iso
        return Outcome(
            replace(member, status="declined", responded_at=now, ended_at=now), True, said
        )


def list_members(
    ctx: Context, *, status: str | None = None, account: str | None = None
) -> list[Membership]:
    if status is not None and status not in STATUSES:
        raise Invalid(
            _("unknown status %(status)s") % {"status": quoted(status)},
            hint=_("one of %(values)s") % {"values": ", ".join(STATUSES)},
        )
    with reading(ctx) as s:
        found = members_in(s, access.readable(s, account))
        return [m for m in found if status is None or m.status == status]


def members_in(s: Session, acct: Account) -> list[Membership]:
    """Every membership row of an account the caller may read, history included, oldest
    invitation first: `collaborator list` (and `report`)."""
    return _fetch(s, "m.account_id = :a ORDER BY m.invited_at, m.id", {"a": acct.id})


class Shown(NamedTuple):
    """`collaborator show`: the person's current membership, the permission ids they hold
    now, and their history in the account, oldest first."""

    member: Membership
    held: list[str]
    history: list[Membership]

    def as_json(self) -> shapes.Collaborator:
        return {
            **self.member.as_json(),
            "name": self.member.name,
            "permissions": self.held,
            "history": [h.as_json() for h in self.history],
        }


def show(ctx: Context, email: str, *, account: str | None = None) -> Shown:
    """The person's current standing, what they hold, and their history in the account."""
    with reading(ctx) as s:
        acct = access.readable(s, account)
        user, member = _person(s, acct, email)
        history = _fetch(
            s, "m.account_id = :a AND m.user_id = :u ORDER BY m.id", {"a": acct.id, "u": user.id}
        )
        held = [p.id for p in access.held_permissions(access.standing_of(s, acct, user.email))]
        return Shown(member, held, history)


def set_profile(ctx: Context, email: str, profile: str, *, account: str | None = None) -> Outcome:
    with writing(ctx) as s:
        return set_profile_in(s, access.managed(s, account), email, profile)


def set_profile_in(s: Session, acct: Account, email: str, profile: str) -> Outcome:
    profile_id = int(s.profile_row(acct, profile)[0])
    _user, member = _person(s, acct, email)
    names = {
        "email": member.user,
        "account": acct.slug,
        "status": status(member.status),
        "profile": profile,
        "was": member.profile,
    }
    if member.status not in LIVE:
        raise Conflict(
            _("%(email)s is %(status)s in %(account)s, not a collaborator") % names,
            hint=_("invite them again: `colabctl invite %(email)s --profile %(profile)s`") % names,
        )
    if member.profile == profile:
        return Outcome(member, False, _("%(email)s already has profile %(profile)s") % names)
    s.conn.execute("UPDATE memberships SET profile_id = ? WHERE id = ?", (profile_id, member.id))
    s.record(
        "collaborator.set_profile",
        account=acct.slug,
        target=member.user,
        details={"from": member.profile, "to": profile},
    )
    said = _("%(email)s now has profile %(profile)s (was %(was)s)") % names
    return Outcome(replace(member, profile=profile), True, said)


def remove(ctx: Context, email: str, *, account: str | None = None) -> Outcome:
    with writing(ctx) as s:
        return remove_in(s, access.managed(s, account, legal_entity=False), email)


def remove_in(s: Session, acct: Account, email: str) -> Outcome:
    _user, member = _person(s, acct, email)
    names = {"email": member.user, "account": acct.slug, "status": status(member.status)}
    if member.status not in LIVE:  # an ended collaborator may be removed: revoked for good
        raise Conflict(_("%(email)s is already %(status)s in %(account)s") % names)
    s.conn.execute(
        "UPDATE memberships SET status = 'revoked', ended_at = ? WHERE id = ?",
        (s.now_iso, member.id),
    )
    s.record(
        "collaborator.remove",
        account=acct.slug,
        target=member.user,
        details={"profile": member.profile, "was": member.status},
    )
    said = _("removed %(email)s from %(account)s (was %(status)s)") % names
    # revoked is a stored, final status (never derived): the row as read back
    return Outcome(replace(member, status="revoked", ended_at=s.now_iso), True, said)


def set_access_until(ctx: Context, email: str, when: str, *, account: str | None = None) -> Outcome:
    """WHEN: an ISO date, an ISO date-time, a duration from now, or `never`."""
    parse_until(when, ctx.clock())  # a malformed WHEN fails before the store opens
    with writing(ctx) as s:
        acct = access.managed(s, account, legal_entity=False)
        return set_access_until_in(s, acct, email, parse_until(when, s.now))


def set_access_until_in(s: Session, acct: Account, email: str, until: datetime | None) -> Outcome:
    """set_access_until(), inside the caller's transaction. UNTIL None: access does not
    end; otherwise it must be after the session's now (exit 6: `collaborator remove`
    ends access now). Works on a pending invitation (it applies once accepted), an
    active collaborator, and an ended one (a later date gives access back)."""
    stored = check_until(until, s.now_iso, email) if until is not None else None
    _user, member = _person(s, acct, email)
    names = {
        "email": member.user,
        "account": acct.slug,
        "status": status(member.status),
        "until": stored,
    }
    if member.status not in LIVE:
        raise Conflict(
            _("%(email)s is %(status)s in %(account)s, not a collaborator") % names,
            hint=_(
                "invite them again: `colabctl invite %(email)s --profile NAME --access-until WHEN`"
            )
            % names,
        )
    if member.access_until == stored:
        if stored is None:
            said = _("the access of %(email)s already does not end: nothing to do")
        else:
            said = _("the access of %(email)s already ends at %(until)s: nothing to do")
        return Outcome(member, False, said % names)
    s.conn.execute("UPDATE memberships SET access_until = ? WHERE id = ?", (stored, member.id))
    s.record(
        "collaborator.set_access_until",
        account=acct.slug,
        target=member.user,
        details={"from": member.access_until, "to": stored, "was": member.status},
    )
    return Outcome(_by_id(s, member.id), True, _until_said(member.status, stored) % names)


def _until_said(was: str, stored: str | None) -> str:
    if was == "ended":
        if stored:
            return _(
                "the access of %(email)s to %(account)s now ends at %(until)s (access restored)"
            )
        return _("the access of %(email)s to %(account)s no longer ends (access restored)")
    if stored:
        return _("the access of %(email)s to %(account)s now ends at %(until)s")
    return _("the access of %(email)s to %(account)s no longer ends")


def renew(
    ctx: Context, email: str, *, expires_in: timedelta = DEFAULT_EXPIRY, account: str | None = None
) -> Outcome:
    with writing(ctx) as s:
        return renew_in(s, access.managed(s, account, legal_entity=False), email, expires_in)


def renew_in(
    s: Session, acct: Account, email: str, expires_in: timedelta = DEFAULT_EXPIRY
) -> Outcome:
    _user, member = _person(s, acct, email)
    names = {"email": member.user, "account": acct.slug, "status": status(member.status)}
    again = _("invite them again: `colabctl invite %(email)s --profile NAME`") % names
    if member.status not in ("pending", "expired"):
        raise Conflict(
            _(
                "the invitation of %(email)s is %(status)s: only pending or expired"
                " invitations can be renewed"
            )
            % names,
            hint=None if member.status == "active" else again,
        )
    if member.profile_deleted:
        raise Conflict(
            _("the invitation of %(email)s was to a profile that no longer exists") % names,
            hint=again,
        )
    expires_at = iso(s.now + expires_in)
    s.conn.execute(
        "UPDATE memberships SET status = 'pending', expires_at = ?, ended_at = NULL WHERE id = ?",
        (expires_at, member.id),
    )
    s.record(
        "invitation.renew",
        account=acct.slug,
        target=member.user,
        details={"expires_at": expires_at, "was": member.status},
    )
    said = _("renewed the invitation of %(email)s to %(account)s until %(expires)s")
    return Outcome(_by_id(s, member.id), True, said % (names | {"expires": expires_at}))


def pending_for(s: Session, user: User) -> list[Membership]:
    """The user's pending invitations, across accounts."""
    return _fetch(
        s, f"m.user_id = :u AND {STATUS_SQL} = 'pending' ORDER BY m.invited_at", {"u": user.id}
    )
