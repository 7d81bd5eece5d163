"""Team as code (docs/team-file.md): export a team file, plan what it would change,
apply the plan in one transaction.

The store is read in bulk (a few queries for every account in the file, never one per
person), the plan is computed in memory, and apply runs the mutations' in-transaction
forms (`*_in`, `*_many_in`), the very code the one-at-a-time commands run, inside one
BEGIN IMMEDIATE transaction: all or nothing. Consequences (who gains or loses what) come
from `access.decide`, on each person's standing before and after each change.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from colabctl.core import access, accounts, collaborators, profiles
from colabctl.core.access import Standing, decide
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key
from colabctl.core.names import quoted
from colabctl.core.session import STATUS_SQL, Account, Context, Session, User, reading, writing
from colabctl.core.teamfile import AccountSpec, MemberSpec, TeamFile, parse_team_file
from colabctl.errors import Conflict, Forbidden, Invalid

KINDS = (
    "create-account",
    "rename-account",
    "set-tax-id",
    "create-profile",
    "change-profile",
    "invite",
    "set-profile",
    "set-access-until",
    "renew",
    "reinvite",
    "remove",
    "delete-profile",
)
_ORDER = {kind: i for i, kind in enumerate(KINDS)}
PLAN_FORMAT = "colabctl-plan"
PLAN_VERSION = 1
DEFAULT_MAX_REMOVALS = 10


@dataclass
class Change:
    account: str
    kind: str
    target: str
    before: Any
    after: Any
    gains: dict[str, list[str]] = field(default_factory=dict)
    losses: dict[str, list[str]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # gains/losses that wait for acceptance

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "kind": self.kind,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "gains": self.gains,
            "losses": self.losses,
            "on_acceptance": self.pending,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            data["account"],
            data["kind"],
            data["target"],
            data.get("before"),
            data.get("after"),
            data.get("gains") or {},
            data.get("losses") or {},
            data.get("on_acceptance") or [],
        )


@dataclass
class Plan:
    head: tuple[int, str]
    changes: list[Change]
    warnings: list[str]
    notes: list[str]

    @property
    def removals(self) -> int:
        return sum(1 for c in self.changes if c.kind == "remove")

    def as_json(self) -> dict[str, Any]:
        return {
            "head": {"seq": self.head[0], "hash": self.head[1]},
            "changes": [c.as_json() for c in self.changes],
            "warnings": self.warnings,
            "notes": self.notes,
        }


class Options(NamedTuple):
    prune: bool = False
    reinvite: bool = False
    consequences: bool = True


# -- reading the store in bulk ---------------------------------------------------------


class _Member(NamedTuple):
    email: str
    status: str  # effective (an expired pending reads as expired)
    profile: str | None
    invited_at: str
    expires_at: str
    ended_at: str | None
    access_until: str | None


class _Profile(NamedTuple):
    id: int
    description: str
    permissions: frozenset[str]


class _State:
    """What the plan needs of the accounts a file names: a few queries in all."""

    def __init__(self, s: Session, slugs: Sequence[str]) -> None:
        self.accounts: dict[str, Account] = {}
        rows = s.conn.execute(
            "SELECT a.id, a.slug, a.name, a.owner_id, u.email, d.tax_country, d.tax_id,"
            " d.legal_entity FROM accounts a JOIN users u ON u.id = a.owner_id"
            " JOIN account_data d ON d.account_id = a.id"
            " WHERE a.slug IN (SELECT value FROM json_each(?))",
            (json.dumps(list(slugs)),),
        )
        for row in rows:
            self.accounts[row[1]] = Account._make((*row[:7], bool(row[7])))
        ids = json.dumps([a.id for a in self.accounts.values()])
        self.profiles: dict[int, dict[str, _Profile]] = {a.id: {} for a in self.accounts.values()}
        perms: dict[int, set[str]] = {}
        for profile_id, permission in s.conn.execute(
            "SELECT pp.profile_id, pp.permission FROM profile_permissions pp"
            " JOIN profiles p ON p.id = pp.profile_id"
            " WHERE p.account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (ids,),
        ):
            perms.setdefault(profile_id, set()).add(permission)
        for profile_id, account_id, name, description in s.conn.execute(
            "SELECT id, account_id, name, description FROM profiles"
            " WHERE account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (ids,),
        ):
            self.profiles[account_id][name] = _Profile(
                profile_id, description, frozenset(perms.get(profile_id, ()))
            )
        # The membership that speaks for each (account, person): the live one, else the
        # latest (session.current_membership_sql, in one pass over the rows by id).
        self.members: dict[int, dict[str, _Member]] = {a.id: {} for a in self.accounts.values()}
        live: set[tuple[int, str]] = set()
        for account_id, email, key, raw, status, profile, *dates in s.conn.execute(
            f"SELECT m.account_id, u.email, u.email_key, m.status, {STATUS_SQL}, p.name,"
            " m.invited_at, m.expires_at, m.ended_at, m.access_until FROM memberships m"
            " JOIN users u ON u.id = m.user_id LEFT JOIN profiles p ON p.id = m.profile_id"
            " WHERE m.account_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))"
            " ORDER BY m.id",
            {"ids": ids, "now": s.now_iso},
        ):
            if (account_id, key) in live:
                continue
            if raw in ("pending", "active"):
                live.add((account_id, key))
            self.members[account_id][key] = _Member(email, status, profile, *dates)


def _stored_emails(s: Session) -> Callable[[set[str]], set[str]]:
    def stored(candidates: set[str]) -> set[str]:
        # a question about the whole store: which of these addresses are registered
        return s.store.registered(candidates) if candidates else set()

    return stored


def read(s: Session, raw: bytes, source: str) -> TeamFile:
    """Parse and validate a team file, with the store at hand for its known addresses."""
    return parse_team_file(raw, source, stored=_stored_emails(s))


# -- planning ----------------------------------------------------------------------------


@cache
def _held(profile: str | None, granted: frozenset[str]) -> frozenset[str]:
    """What an active holder of a profile with GRANTED may do, by the one decision
    function (so owner-only ids never count, whatever a profile row says)."""
    standing = Standing("", "-", status="active", profile=profile, granted=granted)
    return frozenset(p.id for p in catalog().permissions if decide(standing, p)[0])


def _tax_json(tax: tuple[str, str] | None) -> dict[str, str] | None:
    return {"country": tax[0], "number": tax[1]} if tax else None


def _owned(acct: Account, actor: User, s: Session) -> None:
    """The actor must own an existing account a file names: an active collaborator of it
    gets 5; anyone else the taken slug's 4, as `account create` says it (nothing leaks)."""
    if acct.owner_id == actor.id:
        return
    if access.standing_of(s, acct, actor.email).status == "active":
        raise access.not_managed(acct)
    raise accounts.taken(acct.slug)


def compute(s: Session, team: TeamFile, options: Options) -> Plan:
    """The plan: every change of every account, in docs/team-file.md's order."""
    from colabctl.store import audit

    actor = s.actor()
    state = _State(s, [a.slug for a in team.accounts])
    plan = Plan(audit.head(s.conn), [], [], [])
    for spec in team.accounts:
        _plan_account(s, state, team, spec, actor, options, plan)
    return plan


def _plan_account(
    s: Session,
    state: _State,
    team: TeamFile,
    spec: AccountSpec,
    actor: User,
    options: Options,
    plan: Plan,
) -> None:
    slug = spec.slug
    if spec.owner is not None and email_key(spec.owner) != email_key(actor.email):
        raise Forbidden(
            f"{team.where(spec.path)}: {slug}'s owner is {spec.owner}, but you are {actor.email}:"
            " a team file is applied by the owner it names",
            hint=f"run as the owner (`colabctl --as {spec.owner} ...`), or drop `owner`",
        )
    changes: list[Change] = []
    acct = state.accounts.get(slug)
    if acct is None and s.store.slug_taken(slug):  # someone's the actor may not read
        raise accounts.taken(slug)
    if acct is None:
        if spec.name is None:
            raise Invalid(
                f"{team.where(spec.path)}: account {slug} does not exist yet:"
                " give its `name` to create it"
            )
        owner_email = actor.email
        legal = spec.tax is not None
        current_profiles: dict[str, _Profile] = {}
        people: dict[str, _Member] = {}
        changes.append(
            Change(
                slug,
                "create-account",
                slug,
                None,
                {"name": spec.name, "owner": actor.email, "tax_id": _tax_json(spec.tax)},
            )
        )
    else:
        _owned(acct, actor, s)
        owner_email = acct.owner_email
        legal = acct.legal_entity or spec.tax is not None
        current_profiles = state.profiles[acct.id]
        people = state.members[acct.id]
        if spec.name is not None and spec.name != acct.name:
            changes.append(Change(slug, "rename-account", slug, acct.name, spec.name))
        now_tax = (acct.tax_country, acct.tax_id) if acct.tax_id and acct.tax_country else None
        if spec.tax is not None and spec.tax != now_tax:
            changes.append(
                Change(slug, "set-tax-id", slug, _tax_json(now_tax), _tax_json(spec.tax))
            )
    owner_key = email_key(owner_email)

    # profiles
    declared = spec.profiles
    if declared is not None:
        for name, want in declared.items():
            have = current_profiles.get(name)
            if have is None:
                changes.append(
                    Change(
                        slug,
                        "create-profile",
                        name,
                        None,
                        {
                            "permissions": list(want.permissions),
                            "description": want.description,
                            "title": want.title,
                            "preset": want.preset,
                        },
                    )
                )
            elif set(want.permissions) != have.permissions or want.description != have.description:
                added = catalog().ordered(set(want.permissions) - have.permissions)
                removed = catalog().ordered(have.permissions - set(want.permissions))
                changes.append(
                    Change(
                        slug,
                        "change-profile",
                        name,
                        {
                            "permissions": catalog().ordered(have.permissions),
                            "description": have.description,
                        },
                        {
                            "permissions": list(want.permissions),
                            "description": want.description,
                            "added": added,
                            "removed": removed,
                        },
                    )
                )
    exists = set(current_profiles) | set(declared or {})

    # collaborators
    # who holds which profile once the plan is applied: identity key -> (email, profile)
    after_profile: dict[str, tuple[str, str | None]] = {
        key: (m.email, m.profile)
        for key, m in people.items()
        if m.status in ("pending", "active", "ended")
    }
    if spec.collaborators is not None:
        for key, wanted in spec.collaborators.items():
            _plan_member(
                slug,
                team,
                spec,
                wanted,
                people.get(key),
                owner_key,
                exists,
                options,
                changes,
                plan,
                after_profile,
                s.now_iso,
            )
        for key, member in people.items():
            if key in spec.collaborators or member.status not in ("pending", "active", "ended"):
                continue
            if key == owner_key:
                continue  # the owner is never removed (nor ever a live member)
            if options.prune:
                changes.append(
                    Change(
                        slug,
                        "remove",
                        member.email,
                        {"status": member.status, "profile": member.profile},
                        None,
                    )
                )
                after_profile.pop(key, None)
            else:
                plan.notes.append(
                    f"{slug}: {member.email} ({member.status}, {member.profile}) is not in"
                    " the file: would remove with --prune"
                )

    # profiles no longer declared
    if declared is not None:
        for name in sorted(set(current_profiles) - set(declared)):
            if not options.prune:
                plan.notes.append(
                    f"{slug}: profile {name} is not in the file: would delete with --prune"
                )
                continue
            holders = sorted(email for email, p in after_profile.values() if p == name)
            if holders:
                raise Conflict(
                    f"{team.where(spec.path)}: profile {name} would be deleted but {len(holders)}"
                    f" {'person' if len(holders) == 1 else 'people'} would still hold it: "
                    + ", ".join(holders[:5])
                    + (", ..." if len(holders) > 5 else ""),
                    hint="give them another profile in the file (or remove them with --prune)",
                )
            changes.append(
                Change(
                    slug,
                    "delete-profile",
                    name,
                    {"permissions": catalog().ordered(current_profiles[name].permissions)},
                    None,
                )
            )

    changes.sort(key=lambda c: _ORDER[c.kind])
    gated = {
        "create-profile",
        "change-profile",
        "delete-profile",
        "invite",
        "set-profile",
        "reinvite",
    }
    if not legal and any(c.kind in gated for c in changes):
        error = access.not_legal_entity(slug)
        raise Forbidden(f"{team.where(spec.path)}: {error.message}", hint=error.hint)
    if options.consequences:
        _consequences(changes, current_profiles, declared, people)
    plan.changes.extend(changes)


def _plan_member(
    slug: str,
    team: TeamFile,
    spec: AccountSpec,
    want: MemberSpec,
    have: _Member | None,
    owner_key: str,
    exists: set[str],
    options: Options,
    changes: list[Change],
    plan: Plan,
    after_profile: dict[str, tuple[str, str | None]],
    now: str,
) -> None:
    if want.key == owner_key:
        raise Invalid(
            f"{team.where(want.path)}: {want.email} owns {slug}: the owner is not a collaborator",
            hint="the owner holds every permission; remove that line",
        )
    if want.profile not in exists:
        raise Invalid(
            f"{team.where(want.path)}: profile {quoted(want.profile)} is neither declared"
            f" in the file nor a profile of {slug}",
            hint=f"declare it under [accounts.{slug}.profiles.{want.profile}]",
        )
    if want.access_until is not None and want.access_until <= now:
        raise Invalid(
            f"{team.where(want.path)}: access_until {want.access_until} is not in the future"
            f" (now is {now})",
            hint=f"to end {want.email}'s access, leave them out and apply with --prune",
        )
    seconds = int(want.expires_in / timedelta(seconds=1))
    invite_after = {
        "profile": want.profile,
        "expires_in": seconds,
        "access_until": want.access_until,
    }
    status = have.status if have else None
    if have is None:
        changes.append(Change(slug, "invite", want.email, None, invite_after))
    elif status in ("pending", "active", "ended"):
        if have.profile != want.profile:
            changes.append(Change(slug, "set-profile", have.email, have.profile, want.profile))
        if have.access_until != want.access_until:
            changes.append(
                Change(slug, "set-access-until", have.email, have.access_until, want.access_until)
            )
        if status == "pending":
            plan.notes.append(
                f"{slug}: {have.email} ({want.profile}) is pending since {have.invited_at}"
                f" (expires {have.expires_at})"
            )
    elif status == "expired":
        before = {"status": status, "profile": have.profile, "expires_at": have.expires_at}
        if have.profile == want.profile and have.access_until == want.access_until:
            changes.append(Change(slug, "renew", have.email, before, {"expires_in": seconds}))
        else:  # renewing would revive the old terms: a new invitation instead
            changes.append(Change(slug, "invite", have.email, before, invite_after))
    elif status in ("declined", "revoked"):
        before = {"status": status, "profile": have.profile, "ended_at": have.ended_at}
        if options.reinvite:
            changes.append(Change(slug, "reinvite", have.email, before, invite_after))
        else:
            plan.warnings.append(
                f"{slug}: {have.email} is {status} (since {have.ended_at}):"
                " not invited again without --reinvite"
            )
            return
    else:  # a status this colabctl does not plan for (e.g. ended): leave it, say so
        plan.warnings.append(f"{slug}: {want.email} is {status}: left as it is")
        return
    after_profile[want.key] = (want.email, want.profile)


def _consequences(
    changes: list[Change],
    current: dict[str, _Profile],
    declared: dict[str, Any] | None,
    people: dict[str, _Member],
) -> None:
    """Gains and losses per person, change by change, each judged by `decide` on the
    standing before and after it. Pending people's are what they get on acceptance."""
    perms: dict[str, frozenset[str]] = {n: p.permissions for n, p in current.items()}
    state: dict[str, tuple[str, str | None, str]] = {
        email_key(m.email): (m.status, m.profile, m.email)
        for m in people.values()
        if m.status in ("pending", "active", "ended")
    }

    def held(profile: str | None) -> frozenset[str]:
        return _held(profile, perms.get(profile or "", frozenset()))

    def note(
        change: Change, email: str, status: str, before: frozenset[str], after: frozenset[str]
    ) -> None:
        gained, lost = after - before, before - after
        if gained:
            change.gains[email] = catalog().ordered(gained)
        if lost:
            change.losses[email] = catalog().ordered(lost)
        if (gained or lost) and status == "pending":
            change.pending.append(email)

    for change in changes:
        kind = change.kind
        if kind == "create-profile":
            perms[change.target] = frozenset(change.after["permissions"])
        elif kind == "change-profile":
            old = held(change.target)
            perms[change.target] = frozenset(change.after["permissions"])
            new = held(change.target)
            for status, profile, email in state.values():
                if profile == change.target:
                    note(change, email, status, old, new)
        elif kind in ("invite", "reinvite", "renew"):
            key = email_key(change.target)
            profile = change.after.get("profile") or (change.before or {}).get("profile")
            note(change, change.target, "pending", frozenset(), held(profile))
            state[key] = ("pending", profile, change.target)
        elif kind == "set-profile":
            key = email_key(change.target)
            status = state[key][0]
            if status != "ended":  # an ended collaborator holds nothing either way
                note(change, change.target, status, held(change.before), held(change.after))
            state[key] = (status, change.after, change.target)
        elif kind == "set-access-until":
            key = email_key(change.target)
            status, profile, _ = state[key]
            if status == "ended":  # a later date, or never, gives access back
                note(change, change.target, "active", frozenset(), held(profile))
                state[key] = ("active", profile, change.target)
        elif kind == "remove":
            key = email_key(change.target)
            status, profile, _ = state.pop(key)
            if status != "ended":
                note(change, change.target, status, held(profile), frozenset())


# -- applying ----------------------------------------------------------------------------


def execute(
    s: Session, changes: Sequence[Change], progress: Callable[[int], None] | None = None
) -> str:
    """Run CHANGES inside the caller's transaction, each through the mutation's own
    in-transaction form, each writing its audit row tagged with one apply id."""
    apply_id = secrets.token_hex(8)
    s.tag = {"apply": apply_id}
    try:
        by_account: dict[str, list[Change]] = {}
        for change in changes:
            by_account.setdefault(change.account, []).append(change)
        with s.deferred_audit():
            for slug, mine in by_account.items():
                _execute_account(s, slug, mine, progress)
    finally:
        s.tag = {}
    return apply_id


def _execute_account(
    s: Session, slug: str, changes: list[Change], progress: Callable[[int], None] | None
) -> None:
    actor = s.actor()
    acct = s.account_by_slug(slug)
    if acct is not None:
        _owned(acct, actor, s)
    i = 0
    while i < len(changes):
        change = changes[i]
        kind = change.kind
        if kind == "create-account":
            tax = change.after["tax_id"]
            acct = accounts.create_row_in(
                s, slug, change.after["name"], (tax["country"], tax["number"]) if tax else None
            )
        elif acct is None:
            from colabctl.core.session import no_account

            raise no_account(slug)
        elif kind == "rename-account":
            accounts.rename_in(s, acct, change.after)
        elif kind == "set-tax-id":
            accounts.set_tax_id_in(s, acct, (change.after["country"], change.after["number"]))
        elif kind in ("create-profile", "invite", "reinvite"):
            # consecutive changes of one kind go in one batch
            j = i
            while j < len(changes) and (
                changes[j].kind == kind or {changes[j].kind, kind} <= {"invite", "reinvite"}
            ):
                j += 1
            batch = changes[i:j]
            _legal(acct)
            if kind == "create-profile":
                profiles.create_many_in(
                    s,
                    acct,
                    [
                        profiles.NewProfile(
                            c.target,
                            list(c.after["permissions"]),
                            c.after["description"],
                            c.after.get("title"),
                            {"preset": c.after.get("preset")},
                        )
                        for c in batch
                    ],
                )
            else:
                collaborators.invite_many_in(
                    s,
                    acct,
                    [
                        collaborators.Invitation(
                            c.target,
                            c.after["profile"],
                            timedelta(seconds=c.after["expires_in"]),
                            _moment(c.after.get("access_until")),
                        )
                        for c in batch
                    ],
                )
            i = j
            if progress:
                progress(len(batch))
            continue
        elif kind == "change-profile":
            _legal(acct)
            after = change.after
            description = after["description"]
            profiles.edit_in(
                s,
                acct,
                change.target,
                after["added"],
                after["removed"],
                description if description != change.before["description"] else None,
            )
        elif kind == "set-profile":
            _legal(acct)
            collaborators.set_profile_in(s, acct, change.target, change.after)
        elif kind == "set-access-until":
            collaborators.set_access_until_in(s, acct, change.target, _moment(change.after))
        elif kind == "renew":
            collaborators.renew_in(
                s, acct, change.target, timedelta(seconds=change.after["expires_in"])
            )
        elif kind == "remove":
            collaborators.remove_in(s, acct, change.target)
        elif kind == "delete-profile":
            profiles.delete_in(s, acct, change.target)
        else:
            raise Invalid(f"unknown change kind {quoted(kind)}")
        if kind in ("rename-account", "set-tax-id"):
            acct = s.get_account(slug)
        i += 1
        if progress:
            progress(1)


def _moment(stored: str | None) -> datetime | None:
    """A stored timestamp (2027-03-31T23:59:59Z) as the datetime the mutations take."""
    if stored is None:
        return None
    return datetime.fromisoformat(stored.replace("Z", "+00:00"))


def _legal(acct: Account) -> None:
    if not acct.legal_entity:
        raise access.not_legal_entity(acct.slug)


# -- the commands ------------------------------------------------------------------------


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a team file is read, planned and applied: the
    parsed file and the plan are millions of live objects that the collector would
    otherwise walk again and again (a third of a 100k-person apply), and they make no
    cycles to collect. Collection resumes, as it was, when the command is done."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def plan(ctx: Context, raw: bytes, source: str, options: Options) -> Plan:
    """The plan of a team file against the store, in one read snapshot."""
    with _bulk(), reading(ctx) as s:
        return compute(s, read(s, raw, source), options)


class Applied(NamedTuple):
    plan: Plan
    apply_id: str | None  # None: nothing to do


def apply_file(
    ctx: Context,
    raw: bytes,
    source: str,
    options: Options,
    *,
    max_removals: int = DEFAULT_MAX_REMOVALS,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[Plan], Callable[[int], None] | None] | None = None,
) -> Applied:
    """Plan and apply a team file in one BEGIN IMMEDIATE transaction. EXPECT_HEAD: the
    audit head a confirmed plan was computed against (else 4, nothing written)."""
    with _bulk(), writing(ctx, expire=False) as s:
        if expect_head is not None:
            _same_head(s, expect_head)
        s.expire_due()
        team = read(s, raw, source)
        found = compute(s, team, options)
        return Applied(found, _run(s, found, max_removals, progress))


def _run(
    s: Session,
    found: Plan,
    max_removals: int,
    progress: Callable[[Plan], Callable[[int], None] | None] | None,
) -> str | None:
    if not found.changes:
        return None
    brake(found, max_removals)
    return execute(s, found.changes, progress(found) if progress else None)


def brake(found: Plan, max_removals: int) -> None:
    if found.removals > max_removals:
        raise Forbidden(
            f"this apply would remove {found.removals} collaborators, more than"
            f" --max-removals {max_removals}; nothing was changed",
            hint=f"check the plan, then pass --max-removals {found.removals} to allow it",
        )


def _same_head(s: Session, expected: tuple[int, str]) -> None:
    from colabctl.store import audit

    if audit.head(s.conn) != tuple(expected):
        raise Conflict(
            "the store changed since this plan: plan again",
            hint="run `colabctl plan` again and apply the new plan",
        )


def save_plan(found: Plan, ctx: Context, options: Options) -> dict[str, Any]:
    """The saved-plan document: the changes and the head they were computed against."""
    return {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "actor": ctx.actor_email(),
        "options": {"prune": options.prune, "reinvite": options.reinvite},
        **found.as_json(),
    }


def load_plan(raw: bytes, source: str) -> Plan:
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
            raise ValueError("not a colabctl plan")
        if data.get("version") != PLAN_VERSION:
            raise ValueError(f"plan version {data.get('version')!r}, expected {PLAN_VERSION}")
        head = data["head"]
        changes = [Change.from_json(c) for c in data["changes"]]
        if any(c.kind not in _ORDER for c in changes):
            raise ValueError("unknown change kind")
        return Plan(
            (int(head["seq"]), str(head["hash"])),
            changes,
            list(data.get("warnings", [])),
            list(data.get("notes", [])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Invalid(
            f"{source}: not a saved plan ({exc})",
            hint="write one with `colabctl plan -f TEAM.toml -o PLAN.json`",
        ) from exc


def apply_plan(
    ctx: Context,
    saved: Plan,
    *,
    max_removals: int = DEFAULT_MAX_REMOVALS,
    progress: Callable[[Plan], Callable[[int], None] | None] | None = None,
) -> Applied:
    """Exactly a saved plan's changes, if the store's audit head is still the plan's;
    else 4 before anything is written (expiry bookkeeping included)."""
    with _bulk(), writing(ctx, expire=False) as s:
        _same_head(s, saved.head)
        brake(saved, max_removals)
        s.expire_due()
        return Applied(saved, _run(s, saved, max_removals, progress))


# -- export ------------------------------------------------------------------------------


def export(ctx: Context, slugs: Sequence[str] = (), *, all_accounts: bool = False) -> str:
    """The team file of accounts the actor owns: ids, descriptions, emails as stored,
    pending and active people; a header with the time and the audit head."""
    from colabctl.store import audit

    with reading(ctx) as s:
        actor = s.actor()
        if all_accounts:
            chosen = [
                row[0]
                for row in s.conn.execute(
                    "SELECT slug FROM accounts WHERE owner_id = ? ORDER BY slug", (actor.id,)
                )
            ]
        elif slugs:
            chosen = [
                access.managed(s, slug, legal_entity=False).slug for slug in dict.fromkeys(slugs)
            ]
        else:
            chosen = [access.managed(s, None, legal_entity=False).slug]
        state = _State(s, chosen)
        seq, digest = audit.head(s.conn)
        out = [
            f"# colabctl team file: exported {s.now_iso} by {actor.email}",
            f"# audit head {seq}:{digest}",
            "version = 1",
        ]
        for slug in chosen:
            _export_account(out, state, state.accounts[slug])
        return "\n".join(out) + "\n"


def _toml_str(value: str) -> str:
    # A JSON string is a TOML basic string, once DEL (which JSON leaves raw) is escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(value: str) -> str:
    return (
        value
        if value.replace("-", "").replace("_", "").isalnum() and value.isascii()
        else _toml_str(value)
    )


def _export_account(out: list[str], state: _State, acct: Account) -> None:
    from colabctl.core.taxid import format_tax_id

    head = f"accounts.{_toml_key(acct.slug)}"
    out += [
        "",
        f"[{head}]",
        f"name = {_toml_str(acct.name)}",
        f"owner = {_toml_str(acct.owner_email)}",
    ]
    if acct.tax_id and acct.tax_country:
        number = format_tax_id(acct.tax_id, acct.tax_country)
        out.append(
            f"tax_id = {{ country = {_toml_str(acct.tax_country)}, number = {_toml_str(number)} }}"
        )
    mine = state.profiles[acct.id]
    if not mine:
        out += ["", f"[{head}.profiles]"]
    for name in sorted(mine):
        profile = mine[name]
        ids = ", ".join(_toml_str(i) for i in catalog().ordered(profile.permissions))
        out += [
            "",
            f"[{head}.profiles.{_toml_key(name)}]",
            f"description = {_toml_str(profile.description)}",
            f"permissions = [{ids}]",
        ]
    out += ["", f"[{head}.collaborators]"]
    people = sorted(
        (m for m in state.members[acct.id].values() if m.status in ("pending", "active")),
        key=lambda m: email_key(m.email),
    )
    for member in people:
        held = _toml_str(member.profile or "")
        if member.access_until:  # a TOML date-time, unquoted (docs/team-file.md)
            value = f"{{ profile = {held}, access_until = {member.access_until} }}"
        else:
            value = held
        out.append(f"{_toml_str(member.email)} = {value}")
