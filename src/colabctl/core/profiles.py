"""Profiles: named sets of permissions inside one account. Profiles are roles:
what a collaborator can do is read from their profile at every check.

Each mutation is a command (`create(ctx, ...)`: validates, opens the one write
transaction) over a form that runs in a caller's transaction (`create_in(s, ...)`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.core import access
from colabctl.core.catalog import Permission, catalog
from colabctl.core.names import clean_text, quoted, validate_slug
from colabctl.core.session import (
    STATUS_SQL,
    Account,
    Context,
    Session,
    current_membership_sql,
    reading,
    writing,
)
from colabctl.core.words import status
from colabctl.errors import Conflict, Invalid
from colabctl.i18n import _, language, ngettext

if TYPE_CHECKING:
    # loaded by the commands that read or write a preset only: an edit never needs it
    from colabctl.core import shapes
    from colabctl.core.presets import Preset


@dataclass(frozen=True)
class ProfileView:
    name: str
    account: str
    description: str
    permissions: list[str]
    collaborators: list[str]  # the holders
    title: dict[str, str]
    # the people still assigned to it: (email, status), expired or ended
    assigned: list[tuple[str, str]]

    def as_json(self) -> shapes.Profile:
        return {
            "name": self.name,
            "account": self.account,
            "description": self.description,
            "permissions": self.permissions,
            "collaborators": self.collaborators,
            "assigned": [email for email, _status in self.assigned],
        }


@dataclass(frozen=True)
class ProfileSummary:
    """A profile as `profile list` shows it: its counts."""

    name: str
    account: str
    description: str
    permissions: int
    active: int
    pending: int

    def as_json(self) -> shapes.ProfileSummary:
        return {
            "name": self.name,
            "account": self.account,
            "description": self.description,
            "permissions": self.permissions,
            "active": self.active,
            "pending": self.pending,
        }


@dataclass(frozen=True)
class Change:
    """What a mutation did: the profile after it, and what it left alone."""

    profile: ProfileView
    changed: bool
    notes: list[str]


def resolve_delegable(refs: Iterable[str]) -> list[Permission]:
    """Permission references to catalog entries a profile may hold (no owner-only ids)."""
    cat = catalog()
    perms = {perm.id: perm for perm in map(cat.resolve_delegable, refs)}
    return list(perms.values())


# Who a profile's people are, by the status of the membership that speaks for each person
# (session.current_membership_sql), as read now (session.STATUS_SQL): its holders hold it;
# the assigned hold nothing now but still point at it, as a renewal or a later access-until
# brings them back. Declined and revoked rows are history, neither (docs/commands.md).
HOLDING = ("pending", "active")
ASSIGNED = ("expired", "ended")


class People(NamedTuple):
    """A profile's holders, then its assigned people: (membership row, email, status)."""

    rows: list[tuple[int, str, str]]

    @property
    def holders(self) -> list[str]:
        return [email for _row, email, now in self.rows if now in HOLDING]

    @property
    def assigned(self) -> list[tuple[str, str]]:
        return [(email, now) for _row, email, now in self.rows if now in ASSIGNED]


_PEOPLE_SQL = (
    f"SELECT m.id, u.email, {STATUS_SQL} FROM memberships m JOIN users u ON u.id = m.user_id"
    f" WHERE m.profile_id = :p AND m.id = {current_membership_sql('m.account_id', 'm.user_id')}"
    " ORDER BY u.email"
)


def people_of(s: Session, profile_id: int) -> People:
    """The holders and the assigned of the profile PROFILE_ID, each group by email."""
    rows = s.conn.execute(_PEOPLE_SQL, {"p": profile_id, "now": s.now_iso}).fetchall()
    return People(
        [(r[0], r[1], r[2]) for r in rows if r[2] in HOLDING]
        + [(r[0], r[1], r[2]) for r in rows if r[2] in ASSIGNED]
    )


def _view(
    s: Session, account: Account, name: str, row: tuple[Any, ...] | None = None
) -> ProfileView:
    """The profile NAME as it stands (ROW: its profile_row, if already read)."""
    row = row or s.profile_row(account, name)
    perms = [
        r[0]
        for r in s.conn.execute(
            "SELECT permission FROM profile_permissions WHERE profile_id = ?", (row[0],)
        )
    ]
    people = people_of(s, row[0])
    return ProfileView(
        row[1],
        account.slug,
        row[2],
        catalog().ordered(perms),
        people.holders,
        json.loads(row[3]) if row[3] else {},
        people.assigned,
    )


def create(
    ctx: Context,
    name: str,
    *,
    preset: str | None = None,
    from_file: Path | None = None,
    perms: Iterable[str] = (),
    description: str | None = None,
    account: str | None = None,
) -> ProfileView:
    """A new profile NAME from a PRESET or a FROM_FILE (one of them at most: the command
    line refuses both as a usage error), plus PERMS."""
    name = validate_slug(name, what="profile name")
    base: Preset | None = None
    if preset:
        from colabctl.core.presets import find_preset

        base = find_preset(preset)
    elif from_file:
        from colabctl.core.presets import load_preset

        base = load_preset(from_file)
    ids = catalog().ordered(
        [*(base.permissions if base else ()), *(p.id for p in resolve_delegable(perms))]
    )
    if not ids:
        raise Invalid(
            _("a profile needs permissions"),
            hint=_("use --preset NAME, --from FILE.toml or --perm P (repeatable)"),
        )
    text = (
        clean_text(description, what="description")
        if description
        # a preset's description in the language the command runs in (docs/i18n.md)
        else (base.description_in(language()) if base else "")
    )
    title = base.title if base else None
    with writing(ctx) as s:
        acct = access.managed(s, account)
        details = {"preset": preset, "from": str(from_file) if from_file else None}
        return create_in(s, acct, name, ids, text, title, details)


def create_in(
    s: Session,
    acct: Account,
    name: str,
    ids: list[str],
    description: str,
    title: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> ProfileView:
    """create(), inside the caller's transaction: NAME validated, IDS delegable ids."""
    create_many_in(s, acct, [NewProfile(name, ids, description, title, details)])
    return _view(s, acct, name)


class NewProfile(NamedTuple):
    """A profile to create: NAME validated, IDS delegable ids (catalog order)."""

    name: str
    ids: list[str]
    description: str
    title: dict[str, str] | None = None
    details: dict[str, Any] | None = None


def create_many_in(s: Session, acct: Account, new: Sequence[NewProfile]) -> None:
    """Profiles into ACCT, in order, inside the caller's transaction, with a handful of
    statements however many (team-file apply): the rules and writes of create()."""
    taken = {
        row[0]
        for row in s.conn.execute("SELECT name FROM profiles WHERE account_id = ?", (acct.id,))
    }
    (next_id,) = s.store.next_ids("profiles")
    profile_rows: list[tuple[Any, ...]] = []
    perm_rows: list[tuple[int, str]] = []
    audit_rows: list[tuple[str, str | None, str | None, dict[str, Any] | None]] = []
    for item in new:
        if item.name in taken:
            names = {"profile": quoted(item.name), "account": acct.slug, "name": item.name}
            raise Conflict(
                _("profile %(profile)s already exists in %(account)s") % names,
                hint=_("change it with `colabctl profile edit %(name)s`") % names,
            )
        taken.add(item.name)
        title = json.dumps(item.title) if item.title else None
        profile_rows.append((next_id, acct.id, item.name, item.description, title, s.now_iso))
        perm_rows.extend((next_id, i) for i in item.ids)
        audit_rows.append(
            (
                "profile.create",
                acct.slug,
                item.name,
                # what it takes to redo it (docs/storage.md, "What audit verify checks")
                {"permissions": item.ids, "description": item.description, **(item.details or {})},
            )
        )
        next_id += 1
    s.conn.executemany(
        "INSERT INTO profiles (id, account_id, name, description, title, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        profile_rows,
    )
    s.conn.executemany(
        "INSERT INTO profile_permissions (profile_id, permission) VALUES (?, ?)", perm_rows
    )
    s.record_many(audit_rows)


def list_profiles(ctx: Context, account: str | None = None) -> list[ProfileSummary]:
    with reading(ctx) as s:
        acct = access.readable(s, account)
        rows = s.conn.execute(
            f"SELECT p.name, p.description,"
            f" (SELECT count(*) FROM profile_permissions pp WHERE pp.profile_id = p.id),"
            f" (SELECT count(*) FROM memberships m WHERE m.profile_id = p.id"
            f"   AND {STATUS_SQL} = 'active'),"
            f" (SELECT count(*) FROM memberships m WHERE m.profile_id = p.id"
            f"   AND {STATUS_SQL} = 'pending')"
            f" FROM profiles p WHERE p.account_id = :a ORDER BY p.name",
            {"a": acct.id, "now": s.now_iso},
        ).fetchall()
        return [ProfileSummary(r[0], acct.slug, r[1], r[2], r[3], r[4]) for r in rows]


def show(ctx: Context, name: str, account: str | None = None) -> ProfileView:
    with reading(ctx) as s:
        acct = access.readable(s, account)
        return _view(s, acct, name)


def edit(
    ctx: Context,
    name: str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    description: str | None = None,
    account: str | None = None,
) -> Change:
    adding = [p.id for p in resolve_delegable(add)]
    removing = [catalog().resolve(r).id for r in remove]
    if set(adding) & set(removing):
        raise Invalid(
            _("the same permission is both added and removed: %(ids)s")
            % {"ids": ", ".join(catalog().ordered(set(adding) & set(removing)))}
        )
    text = clean_text(description, what="description") if description is not None else None
    with writing(ctx) as s:
        return edit_in(s, access.managed(s, account), name, adding, removing, text)


def edit_in(
    s: Session,
    acct: Account,
    name: str,
    adding: Iterable[str],
    removing: Iterable[str],
    description: str | None = None,
) -> Change:
    """edit(), inside the caller's transaction: ADDING delegable ids, REMOVING ids."""
    row = s.profile_row(acct, name)
    adding, removing = set(adding), set(removing)
    view = _view(s, acct, name, row)
    before = set(view.permissions)
    already, absent = _("%(id)s was already in %(profile)s"), _("%(id)s was not in %(profile)s")
    notes = [already % {"id": p, "profile": name} for p in catalog().ordered(adding & before)]
    notes += [absent % {"id": p, "profile": name} for p in catalog().ordered(removing - before)]
    after = (before | adding) - removing
    if not after:
        raise Invalid(
            _("that would leave %(profile)s with no permissions") % {"profile": name},
            hint=_("delete it instead: `colabctl profile delete %(profile)s`") % {"profile": name},
        )
    added, removed = catalog().ordered(after - before), catalog().ordered(before - after)
    new_text = description if description is not None and description != row[2] else None
    if not added and not removed and new_text is None:
        return Change(view, False, notes)
    s.conn.executemany(
        "INSERT INTO profile_permissions VALUES (?, ?)", [(row[0], p) for p in added]
    )
    s.conn.executemany(
        "DELETE FROM profile_permissions WHERE profile_id = ? AND permission = ?",
        [(row[0], p) for p in removed],
    )
    if new_text is not None:
        s.conn.execute("UPDATE profiles SET description = ? WHERE id = ?", (new_text, row[0]))
    s.record(
        "profile.edit",
        account=acct.slug,
        target=name,
        details={"added": added, "removed": removed, "description": new_text},
    )
    # what was written, without reading it back (every other writer waits meanwhile)
    view = replace(view, permissions=catalog().ordered(after))
    if new_text is not None:
        view = replace(view, description=new_text)
    return Change(view, True, notes)


def delete(
    ctx: Context, name: str, *, reassign: str | None = None, account: str | None = None
) -> list[str]:
    """Delete a profile; its holders and assigned people must be moved first (--reassign).
    Returns them."""
    with writing(ctx) as s:
        return delete_in(s, access.managed(s, account), name, reassign)


def delete_in(s: Session, acct: Account, name: str, reassign: str | None = None) -> list[str]:
    row = s.profile_row(acct, name)
    target_id = None
    if reassign is not None:
        if reassign == name:
            raise Invalid(
                _("cannot reassign the collaborators of %(profile)s to %(profile)s itself")
                % {"profile": name}
            )
        target_id = s.profile_row(acct, reassign)[0]
    people = people_of(s, row[0])
    if people.rows and target_id is None:
        raise _in_use(name, people)
    if people.rows:
        s.conn.execute(
            "UPDATE memberships SET profile_id = ?"
            " WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (target_id, json.dumps([member for member, _email, _now in people.rows])),
        )
    # every other row naming it is history (declined, revoked, an invitation since
    # superseded): it keeps the profile's name, and holds no profile (docs/storage.md)
    s.conn.execute(
        "UPDATE memberships SET profile_id = NULL, profile_name = ? WHERE profile_id = ?",
        (name, row[0]),
    )
    s.conn.execute("DELETE FROM profiles WHERE id = ?", (row[0],))
    s.record(
        "profile.delete",
        account=acct.slug,
        target=name,
        # what replay needs to move the same people (store/replay.py)
        details={
            "reassigned_to": reassign if people.rows else None,
            "holders": people.holders,
            "assigned": [email for email, _status in people.assigned],
        },
    )
    return [email for _member, email, _now in people.rows]


def _in_use(name: str, people: People) -> Conflict:
    """What deleting NAME says while PEOPLE hold it or are assigned to it: each named with
    their status (at most five)."""
    shown = [
        _("%(email)s (%(status)s)") % {"email": email, "status": status(now)}
        for _member, email, now in people.rows[:5]
    ]
    listed = ", ".join(shown) + (", ..." if len(people.rows) > 5 else "")
    count = len(people.rows)
    return Conflict(
        ngettext(
            "profile %(profile)s is held by or assigned to %(count)d person: %(people)s",
            "profile %(profile)s is held by or assigned to %(count)d people: %(people)s",
            count,
        )
        % {"profile": quoted(name), "count": count, "people": listed},
        hint=_("move them first: `colabctl profile delete %(profile)s --reassign OTHER`")
        % {"profile": name},
    )


def export(ctx: Context, name: str, account: str | None = None) -> Preset:
    from colabctl.core.presets import Preset

    view = show(ctx, name, account)
    return Preset(view.name, tuple(view.permissions), view.description, view.title)
