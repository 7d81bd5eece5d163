"""The planner: every change a team file asks of the store, account by account, in
docs/team-file.md's order, and what each does to whom (gains and losses, from
`access.decide` on each person's standing before and after each change)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from colabctl.core import access, accounts
from colabctl.core.access import Standing, decide
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key
from colabctl.core.names import quoted
from colabctl.core.session import Account, Session, User
from colabctl.core.team.file import AccountSpec, MemberSpec, TeamFile
from colabctl.core.team.model import ORDER, Change, Options, Plan
from colabctl.core.team.state import Member, Profile, State
from colabctl.errors import Conflict, Forbidden, Invalid


@cache
def _held(profile: str | None, granted: frozenset[str]) -> frozenset[str]:
    """What an active holder of a profile with GRANTED may do, by the one decision
    function (so owner-only ids never count, whatever a profile row says)."""
    standing = Standing("", "-", status="active", profile=profile, granted=granted)
    return frozenset(p.id for p in catalog().permissions if decide(standing, p)[0])


def _tax_json(tax: tuple[str, str] | None) -> dict[str, str] | None:
    return {"country": tax[0], "number": tax[1]} if tax else None


def owned(acct: Account, actor: User, s: Session) -> None:
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
    state = State(s, [a.slug for a in team.accounts])
    plan = Plan(audit.head(s.conn), [], [], [])
    for spec in team.accounts:
        _plan_account(s, state, team, spec, actor, options, plan)
    return plan


def _plan_account(
    s: Session,
    state: State,
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
    if acct is None:
        if spec.name is None:
            raise Invalid(
                f"{team.where(spec.path)}: account {slug} does not exist yet:"
                " give its `name` to create it"
            )
        owner_email = actor.email
        legal = spec.tax is not None
        current_profiles: dict[str, Profile] = {}
        people: dict[str, Member] = {}
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
        owned(acct, actor, s)
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

    changes.sort(key=lambda c: ORDER[c.kind])
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
    have: Member | None,
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
    current: dict[str, Profile],
    declared: dict[str, Any] | None,
    people: dict[str, Member],
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
