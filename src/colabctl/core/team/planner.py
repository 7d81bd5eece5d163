"""The planner: every change a team file asks of the store, account by account, in
docs/team-file.md's order (simulate.py then says what each does to whom)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from colabctl.core import access, accounts, profiles
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key, normalize_email
from colabctl.core.names import quoted
from colabctl.core.review import Judge, acks_in
from colabctl.core.session import Account, Session
from colabctl.core.sod import SodRule, load_rules
from colabctl.core.team.checks import refuse_lookalikes
from colabctl.core.team.file import AccountSpec, MemberSpec, TeamFile
from colabctl.core.team.model import ORDER, Change, Options, Plan, PlanReview
from colabctl.core.team.simulate import assess
from colabctl.core.team.state import Member, Profile, State
from colabctl.core.words import status_word
from colabctl.errors import Conflict, Forbidden, Invalid
from colabctl.i18n import Text, _, ngettext, shown

# What the legal-entity gate holds back: profiles and invitations need a business tax ID.
GATED = frozenset(
    ("create-profile", "change-profile", "delete-profile", "invite", "set-profile", "reinvite")
)
LIVE = ("pending", "active", "ended")  # statuses of a person the account still counts


def _tax_json(tax: tuple[str, str] | None) -> dict[str, str] | None:
    return {"country": tax[0], "number": tax[1]} if tax else None


def owned(s: Session, acct: Account, mine: Collection[str], actor: str) -> None:
    """The actor must own an existing account a file names (MINE: the slugs of the
    accounts the actor owns, `access.owned_accounts`): an active collaborator of it gets 5;
    anyone else the taken slug's 4, as `account create` says it (nothing leaks)."""
    if acct.slug in mine:
        return
    if access.standing_of(s, acct, actor).status == "active":
        raise access.not_managed(acct)
    raise accounts.taken(acct.slug)


def compute(s: Session, team: TeamFile, options: Options) -> Plan:
    """The plan: every change of every account, in docs/team-file.md's order, checked
    against the store (checks.refuse_lookalikes); with options.consequences, what each
    does to whom and the findings the plan would open and close."""
    from colabctl.store import audit

    claimed = s.acting_email()
    _named_owners(team, claimed)  # before any store lookup
    user = s.user_by_email(claimed)
    plan = Plan(audit.head(s.conn), [], [], [])
    if user is None:
        register = _register(team, claimed)
        plan.changes.append(register)
        actor, mine = register.target, set()
    else:
        actor, mine = user.email, {acct.slug for acct in access.owned_accounts(s)}
    state = State(s, [a.slug for a in team.accounts])
    for spec in team.accounts:
        plan.changes.extend(
            _AccountPlan(s, state, team, spec, actor, mine, options, plan).changes()
        )
    refuse_lookalikes(s, plan.changes, lambda _, change: _where(team, change))
    if options.consequences:
        plan.findings = assess_plan(s, state, plan.changes, options.rules)
    return plan


def assess_plan(
    s: Session, state: State, changes: list[Change], rules: tuple[SodRule, ...] | None
) -> PlanReview:
    """Gains and losses of every change, and the findings the plan would open and close
    (RULES: the separation-of-duties rules, None for the shipped ones)."""
    judge = Judge(list(rules) if rules is not None else load_rules(), s.now, on_acceptance=True)
    ids = [a.id for slug in {c.account for c in changes} if (a := state.accounts.get(slug))]
    return assess(state, changes, s.now, judge=judge, acks=acks_in(s, ids))


def _where(team: TeamFile, change: Change) -> str:
    """Where the file asks for CHANGE (its person's line, the account's owner)."""
    spec = next(a for a in team.accounts if a.slug == change.account)
    if change.kind == "register-user":
        return team.where((*spec.path, "owner"))
    member = (spec.collaborators or {}).get(email_key(change.target))
    return team.where(member.path if member else spec.path)


def _named_owners(team: TeamFile, actor: str) -> None:
    """A file is applied by the owner it names: anyone else gets 5, before the store is asked."""
    for spec in team.accounts:
        owner = spec.owner
        if owner is not None and email_key(owner) != email_key(actor):
            names = {"where": team.where(spec.path), "account": spec.slug, "owner": owner}
            raise Forbidden(
                _(
                    "%(where)s: the owner of %(account)s is %(owner)s, but you are %(actor)s:"
                    " a team file is applied by the owner it names"
                )
                % (names | {"actor": actor}),
                hint=_("run as the owner (`colabctl --as %(owner)s ...`), or drop `owner`") % names,
            )


def _register(team: TeamFile, claimed: str) -> Change:
    """An actor who is not a registered user is registered by the plan, as `login` would,
    if the file names them as the owner of an account (docs/team-file.md): the change
    comes first, its account the first the file names with them as owner. Else 5."""
    for spec in team.accounts:
        if spec.owner is not None:  # _named_owners: then it is the actor
            address = normalize_email(claimed)
            return Change(spec.slug, "register-user", address, None, None)
    raise Forbidden(
        _("%(email)s is not a registered user") % {"email": claimed},
        hint=_(
            "name %(email)s as an account's `owner` in the file, or run"
            " `colabctl login %(email)s` first"
        )
        % {"email": claimed},
    )


class _AccountPlan:
    """One account's part of the plan: what the file asks against what the store holds."""

    def __init__(
        self,
        s: Session,
        state: State,
        team: TeamFile,
        spec: AccountSpec,
        actor: str,
        mine: Collection[str],
        options: Options,
        plan: Plan,
    ) -> None:
        self.s, self.team, self.spec, self.options, self.plan = s, team, spec, options, plan
        self.slug = spec.slug
        self.found: list[Change] = []
        acct = state.accounts.get(self.slug)
        self.acct = acct
        if acct is not None:
            owned(s, acct, mine, actor)
        elif s.store.slug_taken(self.slug):  # someone's the actor may not read (a server's)
            raise accounts.taken(self.slug)
        self.owner_email = actor if acct is None else acct.owner_email
        self.owner_key = email_key(self.owner_email)
        self.legal = spec.tax is not None or (acct is not None and acct.legal_entity)
        self.profiles: dict[str, Profile] = {} if acct is None else state.profiles[acct.id]
        self.people: dict[str, Member] = {} if acct is None else state.members[acct.id]
        # who holds or is assigned which profile once the plan is applied (the holders and
        # the assigned, as `profile delete` counts them): identity key -> (email, profile)
        counted = (*profiles.HOLDING, *profiles.ASSIGNED)
        self.after_profile: dict[str, tuple[str, str | None]] = {
            key: (m.email, m.profile) for key, m in self.people.items() if m.status in counted
        }

    def changes(self) -> list[Change]:
        self._account()
        self._declared_profiles()
        self._collaborators()
        self._undeclared_profiles()
        self.found.sort(key=lambda c: ORDER[c.kind])
        if not self.legal and any(c.kind in GATED for c in self.found):
            error = access.not_legal_entity(self.slug)
            where = self.team.where(self.spec.path)
            raise Forbidden(f"{where}: {shown(error.message)}", hint=error.hint)
        return self.found

    def _add(self, kind: str, target: str, before: Any, after: Any) -> None:
        self.found.append(Change(self.slug, kind, target, before, after))

    def _account(self) -> None:
        spec, acct = self.spec, self.acct
        if acct is None:
            if spec.name is None:
                raise Invalid(
                    _(
                        "%(where)s: account %(account)s does not exist yet: give its `name` to"
                        " create it"
                    )
                    % {"where": self.team.where(spec.path), "account": self.slug}
                )
            after = {"name": spec.name, "owner": self.owner_email, "tax_id": _tax_json(spec.tax)}
            self._add("create-account", self.slug, None, after)
            return
        if spec.name is not None and spec.name != acct.name:
            self._add("rename-account", self.slug, acct.name, spec.name)
        now_tax = (acct.tax_country, acct.tax_id) if acct.tax_id and acct.tax_country else None
        if spec.tax is not None and spec.tax != now_tax:
            self._add("set-tax-id", self.slug, _tax_json(now_tax), _tax_json(spec.tax))

    def _declared_profiles(self) -> None:
        for name, want in (self.spec.profiles or {}).items():
            have = self.profiles.get(name)
            wanted = set(want.permissions)
            if have is None:
                after = {
                    "permissions": list(want.permissions),
                    "description": want.description,
                    "title": want.title,
                    "preset": want.preset,
                }
                self._add("create-profile", name, None, after)
            elif wanted != have.permissions or not want.same_description(have.description):
                before = {
                    "permissions": catalog().ordered(have.permissions),
                    "description": have.description,
                }
                # the preset's own in another language stays as it is: no change
                kept = want.same_description(have.description)
                after = {
                    "permissions": list(want.permissions),
                    "description": have.description if kept else want.description,
                    "added": catalog().ordered(wanted - have.permissions),
                    "removed": catalog().ordered(have.permissions - wanted),
                }
                self._add("change-profile", name, before, after)

    def _collaborators(self) -> None:
        declared = self.spec.collaborators
        if declared is None:
            return
        exists = set(self.profiles) | set(self.spec.profiles or {})
        for key, wanted in declared.items():
            self._member(wanted, self.people.get(key), exists)
        for key, member in self.people.items():
            if key in declared or member.status not in LIVE or key == self.owner_key:
                continue  # the owner is never removed (nor ever a live member)
            if self.options.prune:
                self._add(
                    "remove",
                    member.email,
                    {"status": member.status, "profile": member.profile},
                    None,
                )
                self.after_profile.pop(key, None)
            else:
                self.plan.notes.append(
                    Text(
                        "%(account)s: %(email)s (%(status)s, %(profile)s) is not in the file:"
                        " would remove with --prune",
                        account=self.slug,
                        email=member.email,
                        status=status_word(member.status),
                        profile=member.profile,
                    )
                )

    def _member(self, want: MemberSpec, have: Member | None, exists: set[str]) -> None:
        self._check_member(want, exists)
        seconds = int(want.expires_in / timedelta(seconds=1))
        invite = {"profile": want.profile, "expires_in": seconds, "access_until": want.access_until}
        status = have.status if have else None
        if have is None:
            self._add("invite", want.email, None, invite)
        elif status in LIVE:
            self._live_member(want, have)
        elif status == "expired":
            before = {"status": status, "profile": have.profile, "expires_at": have.expires_at}
            if have.profile == want.profile and have.access_until == want.access_until:
                self._add("renew", have.email, before, {"expires_in": seconds})
            else:  # renewing would revive the old terms: a new invitation instead
                self._add("invite", have.email, before, invite)
        elif status in ("declined", "revoked"):
            before = {"status": status, "profile": have.profile, "ended_at": have.ended_at}
            if not self.options.reinvite:
                self.plan.warnings.append(
                    Text(
                        "%(account)s: %(email)s is %(status)s (since %(since)s): not invited"
                        " again without --reinvite",
                        account=self.slug,
                        email=have.email,
                        status=status_word(status),
                        since=have.ended_at,
                    )
                )
                return
            self._add("reinvite", have.email, before, invite)
        else:  # a status this colabctl does not plan for: leave it, say so
            self.plan.warnings.append(
                Text(
                    "%(account)s: %(email)s is %(status)s: left as it is",
                    account=self.slug,
                    email=want.email,
                    status=status_word(str(status)),
                )
            )
            return
        self.after_profile[want.key] = (want.email, want.profile)

    def _check_member(self, want: MemberSpec, exists: set[str]) -> None:
        # where in the file: looked up only for an error (team.where indexes the lines)
        if want.key == self.owner_key:
            raise Invalid(
                _("%(where)s: %(email)s owns %(account)s: the owner is not a collaborator")
                % {"where": self.team.where(want.path), "email": want.email, "account": self.slug},
                hint=_("the owner holds every permission; remove that line"),
            )
        if want.profile not in exists:
            names = {
                "where": self.team.where(want.path),
                "profile": quoted(want.profile),
                "account": self.slug,
                "table": f"[accounts.{self.slug}.profiles.{want.profile}]",
            }
            raise Invalid(
                _(
                    "%(where)s: profile %(profile)s is neither declared in the file nor a"
                    " profile of %(account)s"
                )
                % names,
                hint=_("declare it under %(table)s") % names,
            )
        now = self.s.now_iso
        if want.access_until is not None and want.access_until <= now:
            names = {
                "where": self.team.where(want.path),
                "until": want.access_until,
                "now": now,
                "email": want.email,
            }
            raise Invalid(
                _("%(where)s: access_until %(until)s is not in the future (now is %(now)s)")
                % names,
                hint=_("to end the access of %(email)s, leave them out and apply with --prune")
                % names,
            )

    def _live_member(self, want: MemberSpec, have: Member) -> None:
        """A pending, active or ended person the file declares: what differs is a change."""
        if have.profile != want.profile:
            self._add("set-profile", have.email, have.profile, want.profile)
        if have.access_until != want.access_until:
            self._add("set-access-until", have.email, have.access_until, want.access_until)
        if have.status == "pending":
            self.plan.notes.append(
                Text(
                    "%(account)s: %(email)s (%(profile)s) is pending since %(invited)s"
                    " (expires %(expires)s)",
                    account=self.slug,
                    email=have.email,
                    profile=want.profile,
                    invited=have.invited_at,
                    expires=have.expires_at,
                )
            )

    def _undeclared_profiles(self) -> None:
        declared = self.spec.profiles
        if declared is None:
            return
        for name in sorted(set(self.profiles) - set(declared)):
            if not self.options.prune:
                self.plan.notes.append(
                    Text(
                        "%(account)s: profile %(profile)s is not in the file: would delete with"
                        " --prune",
                        account=self.slug,
                        profile=name,
                    )
                )
                continue
            holders = sorted(email for email, p in self.after_profile.values() if p == name)
            if holders:
                listed = ", ".join(holders[:5]) + (", ..." if len(holders) > 5 else "")
                raise Conflict(
                    ngettext(
                        "%(where)s: profile %(profile)s would be deleted but %(count)d person"
                        " would still hold it or be assigned to it: %(people)s",
                        "%(where)s: profile %(profile)s would be deleted but %(count)d people"
                        " would still hold it or be assigned to it: %(people)s",
                        len(holders),
                    )
                    % {
                        "where": self.team.where(self.spec.path),
                        "profile": name,
                        "count": len(holders),
                        "people": listed,
                    },
                    hint=_("give them another profile in the file (or remove them with --prune)"),
                )
            before = {"permissions": catalog().ordered(self.profiles[name].permissions)}
            self._add("delete-profile", name, before, None)
