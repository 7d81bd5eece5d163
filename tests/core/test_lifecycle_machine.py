"""A hypothesis state machine over the core: accounts, profiles, the whole
collaborator lifecycle, time-boxed access and ownership transfers, on a real store
file, with a clock that only moves when told.

A small model of docs/commands.md predicts, for every step, whether the domain must
accept or refuse it, and what each person's membership is afterwards. Refusals
must leave the store exactly as it was. After every step the invariants are read
back through core (`access.standings`, `access.standing_of`, `access.decide`):

1. only active collaborators hold permissions;
2. an active collaborator holds exactly their profile's current set;
3. the owner holds every catalog id, owner-only ones included;
4. nobody else ever holds an owner-only id;
5. every account has exactly one owner, who has no live membership in it;
6. an ended membership (access_until passed) and a former owner's hold exactly what
   their status says: nothing when ended or gone, their profile when kept as one;
7. the open ownership offer read back is the one the model expects (expiry included).

Engines: SQLite only: a hypothesis search of thousands of command sequences, too long to
run twice; the statements it runs are prepared on PostgreSQL by the statement recorder
(tests/sqlrecorder.py), and the lifecycle's commands run on both engines in
tests/cli/test_collaborators.py."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support import FakeClock

from colabctl.core import access, accounts, collaborators, ownership, profiles, users
from colabctl.core.catalog import catalog
from colabctl.core.session import Context, reading
from colabctl.errors import ColabError, Forbidden, NotFound

CNPJ = "11.222.333/0001-81"  # one tax ID on several accounts is allowed
OWNERS = ["ana@example.com", "bruno@example.com"]
PEOPLE = ["bea@example.com", "caio@example.com", "Dora.Lima@example.com"]
EVERYONE = OWNERS + PEOPLE  # an owner may be invited into someone else's account
SLUGS = ["acme-cursos", "beta-cursos", "gamma-cursos"]
NAMES = ["soporte", "tecnico", "ventas"]
ALL_IDS = frozenset(p.id for p in catalog().permissions)
DELEGABLE = sorted(p.id for p in catalog().delegable)
OWNER_ONLY = catalog().owner_only_ids
EXPIRIES = [timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(days=7)]
STEPS = [timedelta(seconds=30), timedelta(hours=1), timedelta(days=1), timedelta(days=8)]
# access_until from now: at or before now is refused (exit 6)
UNTILS = [
    -timedelta(hours=1),
    timedelta(0),
    timedelta(seconds=30),
    timedelta(hours=1),
    timedelta(days=3),
]
OFFER_LIFETIME = timedelta(days=7)
TABLES = [
    "users",
    "accounts",
    "profiles",
    "profile_permissions",
    "memberships",
    "transfers",
    "audit",
]
LIVE = ("pending", "active", "ended")  # rows the memberships_live index holds

perm_sets = st.frozensets(st.sampled_from(DELEGABLE), min_size=1, max_size=6)


def fast_tmp() -> str | None:
    """A RAM-backed folder when there is one: the store runs synchronous=FULL, and
    thousands of fsyncs on a disk dominate the run (~50 s on disk against ~13-20 s
    on tmpfs, measured on 2 cores)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def key(email: str) -> str:
    return email.casefold()


@dataclass
class Member:
    """The model of a person's latest membership row in one account."""

    status: str  # as recorded: pending, active, declined, revoked
    profile: str | None
    expires_at: datetime
    access_until: datetime | None = None

    def effective(self, now: datetime) -> str:
        if self.status == "pending" and now >= self.expires_at:
            return "expired"
        if self.status == "active" and self.access_until is not None and now >= self.access_until:
            return "ended"
        return self.status

    def live(self, now: datetime) -> bool:
        return self.effective(now) in LIVE

    def assigned(self, now: datetime) -> bool:
        """Still pointing at its profile (docs/commands.md, "Profiles"): a holder, or
        expired or ended."""
        return self.effective(now) in (*LIVE, "expired")


@dataclass
class OfferModel:
    to: str
    keep_as: str | None
    expires_at: datetime
    status: str = "open"  # open, accepted, cancelled

    def open(self, now: datetime) -> bool:
        return self.status == "open" and now < self.expires_at


@dataclass
class AccountModel:
    owner: str
    legal: bool
    profiles: dict[str, frozenset[str]] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # by email key
    offer: OfferModel | None = None  # the latest offer
    former_owners: set[str] = field(default_factory=set)  # by email key


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="colabctl-machine-", dir=fast_tmp()))
        # teardown() removes it; the finalizer too, should a run end without teardown
        weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.db = self.folder / "store.db"
        self.clock = FakeClock()
        self.model: dict[str, AccountModel] = {}
        self.last_error: ColabError | None = None
        for email in EVERYONE:
            users.register(self.ctx(None), email)

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- plumbing ----------------------------------------------------------------

    def ctx(self, actor: str | None) -> Context:
        return Context(db=str(self.db), actor=actor, clock=self.clock)

    @property
    def now(self) -> datetime:
        # the store keeps second precision; the clock only moves by whole seconds
        return self.clock.now

    def snapshot(self) -> list[list[tuple[object, ...]]]:
        conn = sqlite3.connect(self.db)
        try:
            return [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES]
        finally:
            conn.close()

    def attempt(
        self, expect_ok: bool, call: Callable[..., object], *args: object, **kwargs: object
    ) -> object:
        """Run one core call. A refusal must be predicted and leave the store as it was;
        a predicted success must happen."""
        before = self.snapshot()
        try:
            result = call(*args, **kwargs)
        except ColabError as exc:
            assert self.snapshot() == before, f"{exc!r} changed the store"
            assert not expect_ok, f"refused, but the rules allow it: {exc.message}"
            self.last_error = exc
            return None
        assert expect_ok, (
            f"{getattr(call, '__name__', call)}{args} succeeded, but the rules refuse it"
        )
        return result

    def account(self, slug: str) -> AccountModel | None:
        return self.model.get(slug)

    def manageable(self, slug: str) -> AccountModel | None:
        acct = self.model.get(slug)
        return acct if acct is not None and acct.legal else None

    # -- choosing targets ------------------------------------------------------------
    # Mostly what exists (so lifecycles get long), sometimes anything (so refusals happen).

    def pick_slug(self, data: st.DataObject) -> str:
        known = sorted(self.model)
        return data.draw(
            st.sampled_from(known * 6 + ["nope-cursos"]) if known else st.just(SLUGS[0])
        )

    def pick_email(self, data: st.DataObject, slug: str, *statuses: str) -> str:
        acct = self.model.get(slug)
        fitting = sorted(
            email
            for email in EVERYONE
            if acct is not None
            and key(email) in acct.members
            and acct.members[key(email)].effective(self.now) in statuses
        )
        # three in four draws take someone in one of `statuses`, when there is one
        return data.draw(st.sampled_from(fitting * 3 * len(EVERYONE) + EVERYONE))

    def pick_name(self, data: st.DataObject, slug: str) -> str:
        acct = self.model.get(slug)
        known = sorted(acct.profiles) if acct else []
        return data.draw(st.sampled_from(known * 3 + NAMES) if known else st.sampled_from(NAMES))

    def owner_of(self, slug: str) -> str:
        return self.model[slug].owner if slug in self.model else OWNERS[0]

    # -- rules -------------------------------------------------------------------

    @initialize(
        first=perm_sets,
        second=perm_sets,
        owner=st.sampled_from(OWNERS),
        invited=st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True),
        accepted=st.integers(min_value=0, max_value=3),
    )
    def a_legal_account_with_two_profiles_and_invitations(
        self,
        first: frozenset[str],
        second: frozenset[str],
        owner: str,
        invited: list[str],
        accepted: int,
    ) -> None:
        """Some invitations accepted at once: transfers need active collaborators."""
        self.create_account(SLUGS[0], owner, True)
        for name, perms in zip(NAMES, (first, second), strict=False):
            self.create_profile_named(SLUGS[0], name, perms)
        for i, email in enumerate(invited):
            self.invite_to(SLUGS[0], email, NAMES[i % 2], EXPIRIES[-1])
        for email in invited[:accepted]:
            self._respond(SLUGS[0], email, "accept")

    @rule(
        slug=st.sampled_from(SLUGS),
        owner=st.sampled_from(OWNERS),
        legal=st.sampled_from([True, True, True, False]),
    )
    def create_account(self, slug: str, owner: str, legal: bool) -> None:
        tax = {"tax_id": CNPJ, "country": "BR"} if legal else {}
        done = self.attempt(
            slug not in self.model, accounts.create, self.ctx(owner), slug, slug.title(), **tax
        )
        if done is not None:
            self.model[slug] = AccountModel(owner=owner, legal=legal)

    def create_profile_named(self, slug: str, name: str, perms: frozenset[str]) -> None:
        acct = self.manageable(slug)
        expect = acct is not None and name not in acct.profiles
        done = self.attempt(
            expect,
            profiles.create,
            self.ctx(self.owner_of(slug)),
            name,
            perms=sorted(perms),
            account=slug,
        )
        if done is not None:
            assert acct is not None
            acct.profiles[name] = perms

    @rule(data=st.data(), name=st.sampled_from(NAMES), perms=perm_sets)
    def create_profile(self, data: st.DataObject, name: str, perms: frozenset[str]) -> None:
        self.create_profile_named(self.pick_slug(data), name, perms)

    @rule(
        data=st.data(),
        email=st.sampled_from(EVERYONE),
        expires_in=st.sampled_from(EXPIRIES),
        until=st.sampled_from([None, None, *UNTILS]),
    )
    def invite(
        self, data: st.DataObject, email: str, expires_in: timedelta, until: timedelta | None
    ) -> None:
        slug = self.pick_slug(data)
        self.invite_to(slug, email, self.pick_name(data, slug), expires_in, until)

    def invite_to(
        self,
        slug: str,
        email: str,
        name: str,
        expires_in: timedelta,
        until_in: timedelta | None = None,
    ) -> None:
        acct = self.manageable(slug)
        current = acct.members.get(key(email)) if acct else None
        live = current is not None and current.live(self.now)
        until = None if until_in is None else self.now + until_in
        no_op = (
            live
            and current is not None
            and current.effective(self.now) != "ended"  # ended: 4, set-access-until first
            and current.profile == name
            and (until is None or until == current.access_until)
        )
        expect = (
            acct is not None
            and name in acct.profiles
            and key(email) != key(acct.owner)
            and (until is None or until > self.now)
            and (not live or no_op)
        )
        call_until = None if until is None else until.strftime("%Y-%m-%dT%H:%M:%SZ")
        done = self.attempt(
            expect,
            collaborators.invite,
            self.ctx(self.owner_of(slug)),
            email,
            profile=name,
            expires_in=expires_in,
            access_until=call_until,
            account=slug,
        )
        if done is None:
            return
        assert isinstance(done, collaborators.Outcome)
        assert done.changed is not no_op
        assert acct is not None
        if not no_op:
            acct.members[key(email)] = Member("pending", name, self.now + expires_in, until)

    def has(self, *statuses: str) -> bool:
        return any(
            m.effective(self.now) in statuses
            for a in self.model.values()
            for m in a.members.values()
        )

    def _respond(self, slug: str, email: str, verb: str) -> None:
        acct = self.account(slug)
        current = acct.members.get(key(email)) if acct else None
        expect = current is not None and current.effective(self.now) == "pending"
        if verb == "accept" and current is not None and current.access_until is not None:
            expect = expect and self.now < current.access_until  # else active and ended at once
        fn = collaborators.accept if verb == "accept" else collaborators.decline
        done = self.attempt(expect, fn, self.ctx(email), slug)
        if done is not None:
            assert current is not None
            current.status = "active" if verb == "accept" else "declined"

    @precondition(lambda self: self.has("pending"))
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        slug = self.pick_slug(data)
        self._respond(slug, self.pick_email(data, slug, "pending"), "accept")

    @precondition(lambda self: self.has("pending"))
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        slug = self.pick_slug(data)
        self._respond(slug, self.pick_email(data, slug, "pending"), "decline")

    @precondition(lambda self: self.has("expired", "declined", "revoked", "active", "ended"))
    @rule(data=st.data(), verb=st.sampled_from(["accept", "decline"]))
    def respond_out_of_turn(self, data: st.DataObject, verb: str) -> None:
        """Too late (expired), or no longer pending: refused."""
        slug = self.pick_slug(data)
        self._respond(
            slug,
            self.pick_email(data, slug, "expired", "declined", "revoked", "active", "ended"),
            verb,
        )

    @rule(
        slug=st.sampled_from([*SLUGS, "nope-cursos"]),
        email=st.sampled_from(EVERYONE),
        verb=st.sampled_from(["accept", "decline"]),
    )
    def respond_to_anything(self, slug: str, email: str, verb: str) -> None:
        self._respond(slug, email, verb)

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: timedelta) -> None:
        self.clock.advance(seconds=step.total_seconds())

    @precondition(lambda self: self.has("pending", "expired", "declined", "revoked"))
    @rule(data=st.data(), expires_in=st.sampled_from(EXPIRIES))
    def renew(self, data: st.DataObject, expires_in: timedelta) -> None:
        slug = self.pick_slug(data)
        email = self.pick_email(data, slug, "pending", "expired", "declined", "revoked")
        acct = self.account(slug)
        current = acct.members.get(key(email)) if acct else None
        expect = (
            current is not None
            and current.effective(self.now) in ("pending", "expired")
            and current.profile is not None
        )
        done = self.attempt(
            expect,
            collaborators.renew,
            self.ctx(self.owner_of(slug)),
            email,
            expires_in=expires_in,
            account=slug,
        )
        if done is not None:
            assert current is not None
            current.status, current.expires_at = "pending", self.now + expires_in

    @precondition(lambda self: self.has(*LIVE))
    @rule(data=st.data())
    def set_profile(self, data: st.DataObject) -> None:
        slug = self.pick_slug(data)
        email = self.pick_email(data, slug, *LIVE, "expired", "declined", "revoked")
        name = self.pick_name(data, slug)
        acct = self.manageable(slug)
        current = acct.members.get(key(email)) if acct else None
        expect = (
            acct is not None
            and name in acct.profiles
            and current is not None
            and current.live(self.now)
        )
        done = self.attempt(
            expect,
            collaborators.set_profile,
            self.ctx(self.owner_of(slug)),
            email,
            name,
            account=slug,
        )
        if done is not None:
            assert current is not None
            current.profile = name

    @precondition(lambda self: self.has(*LIVE))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        slug = self.pick_slug(data)
        email = self.pick_email(data, slug, *LIVE, "expired", "declined", "revoked")
        acct = self.account(slug)
        current = acct.members.get(key(email)) if acct else None
        expect = current is not None and current.live(self.now)
        done = self.attempt(
            expect, collaborators.remove, self.ctx(self.owner_of(slug)), email, account=slug
        )
        if done is not None:
            assert current is not None
            current.status = "revoked"

    @rule(
        data=st.data(),
        add=st.frozensets(st.sampled_from(DELEGABLE), max_size=3)
        | st.frozensets(st.sampled_from(sorted(ALL_IDS)), max_size=3),
        drop=st.frozensets(st.sampled_from(DELEGABLE), max_size=3),
    )
    def edit_profile(self, data: st.DataObject, add: frozenset[str], drop: frozenset[str]) -> None:
        slug = self.pick_slug(data)
        name = self.pick_name(data, slug)
        acct = self.manageable(slug)
        before = acct.profiles.get(name) if acct else None
        after = ((before or frozenset()) | add) - drop
        expect = (
            before is not None
            and not (add & OWNER_ONLY)  # owner-only ids never go into a profile
            and not (add & drop)
            and bool(after)
        )
        done = self.attempt(
            expect,
            profiles.edit,
            self.ctx(self.owner_of(slug)),
            name,
            add=sorted(add),
            remove=sorted(drop),
            account=slug,
        )
        if done is not None:
            assert acct is not None
            acct.profiles[name] = after

    @rule(data=st.data(), reassign=st.none() | st.sampled_from(NAMES))
    def delete_profile(self, data: st.DataObject, reassign: str | None) -> None:
        slug = self.pick_slug(data)
        name = self.pick_name(data, slug)
        acct = self.manageable(slug)
        # its holders and its assigned people (expired, ended): all but declined and revoked
        holders = (
            [m for m in acct.members.values() if m.profile == name and m.assigned(self.now)]
            if acct
            else []
        )
        expect = (
            acct is not None
            and name in acct.profiles
            and reassign != name
            and (reassign is None or reassign in acct.profiles)
            and (reassign is not None or not holders)
        )
        done = self.attempt(
            expect,
            profiles.delete,
            self.ctx(self.owner_of(slug)),
            name,
            reassign=reassign,
            account=slug,
        )
        if done is None:
            return
        assert acct is not None
        del acct.profiles[name]
        for member in acct.members.values():
            if member.profile == name:
                # holders and the assigned move; history rows lose the deleted profile
                member.profile = reassign if member.assigned(self.now) else None

    @precondition(lambda self: self.has(*LIVE, "expired", "revoked"))
    @rule(data=st.data(), until_in=st.sampled_from([None, *UNTILS]))
    def set_access_until(self, data: st.DataObject, until_in: timedelta | None) -> None:
        slug = self.pick_slug(data)
        email = self.pick_email(data, slug, *LIVE, "expired", "declined", "revoked")
        acct = self.account(slug)
        current = acct.members.get(key(email)) if acct else None
        until = None if until_in is None else self.now + until_in
        expect = (
            acct is not None
            and key(email) != key(acct.owner)
            and current is not None
            and current.live(self.now)
            and (until is None or until > self.now)
        )
        when = "never" if until is None else until.strftime("%Y-%m-%dT%H:%M:%SZ")
        done = self.attempt(
            expect,
            collaborators.set_access_until,
            self.ctx(self.owner_of(slug)),
            email,
            when,
            account=slug,
        )
        if done is not None:
            assert current is not None
            current.access_until = until

    # -- ownership ---------------------------------------------------------------

    def open_offer(self, slug: str) -> OfferModel | None:
        acct = self.account(slug)
        offer = acct.offer if acct else None
        return offer if offer is not None and offer.open(self.now) else None

    def has_offer(self) -> bool:
        return any(self.open_offer(slug) for slug in self.model)

    def pick_slug_where(self, data: st.DataObject, fits: Callable[[str], bool]) -> str:
        """Mostly an account where FITS holds, sometimes any."""
        fitting = [slug for slug in sorted(self.model) if fits(slug)]
        return data.draw(st.sampled_from(fitting * 6) | st.just(self.pick_slug(data)))

    @precondition(lambda self: self.has("active"))
    @rule(data=st.data(), keep=st.booleans())
    def offer_transfer(self, data: st.DataObject, keep: bool) -> None:
        slug = self.pick_slug_where(
            data,
            lambda slug: any(
                m.effective(self.now) == "active" for m in self.model[slug].members.values()
            ),
        )
        email = self.pick_email(data, slug, "active")
        keep_as = self.pick_name(data, slug) if keep else None
        acct = self.account(slug)
        member = acct.members.get(key(email)) if acct else None
        expect = (
            acct is not None
            and (keep_as is None or keep_as in acct.profiles)
            and key(email) != key(acct.owner)
            and member is not None
            and member.effective(self.now) == "active"
            and self.open_offer(slug) is None
        )
        done = self.attempt(
            expect,
            ownership.transfer,
            self.ctx(self.owner_of(slug)),
            slug,
            email,
            keep_as=keep_as,
        )
        if done is not None:
            assert acct is not None
            acct.offer = OfferModel(email, keep_as, self.now + OFFER_LIFETIME)

    @precondition(lambda self: self.has("active"))
    @rule(data=st.data(), keep=st.booleans())
    def hand_over(self, data: st.DataObject, keep: bool) -> None:
        """Offer, then the recipient accepts at once: the usual whole handover, so that
        many runs go on in an account whose owner has changed (maybe more than once)."""
        self.offer_transfer(data, keep)
        if self.has_offer():
            self.accept_transfer(data, anyone=False)

    @precondition(lambda self: self.has_offer())
    @rule(data=st.data())
    def cancel_transfer(self, data: st.DataObject) -> None:
        slug = self.pick_slug_where(data, lambda slug: self.open_offer(slug) is not None)
        offer = self.open_offer(slug)
        done = self.attempt(
            offer is not None, ownership.cancel_transfer, self.ctx(self.owner_of(slug)), slug
        )
        if done is not None:
            assert offer is not None
            offer.status = "cancelled"

    @precondition(lambda self: self.has_offer())
    @rule(data=st.data(), anyone=st.sampled_from([False, False, True]))
    def accept_transfer(self, data: st.DataObject, anyone: bool) -> None:
        """The recipient, mostly; sometimes anyone (the owner, another collaborator, an
        outsider), who is refused."""
        slug = self.pick_slug_where(data, lambda slug: self.open_offer(slug) is not None)
        offer = self.open_offer(slug)
        email = (
            offer.to if offer is not None and not anyone else data.draw(st.sampled_from(EVERYONE))
        )
        acct = self.account(slug)
        member = acct.members.get(key(email)) if acct else None
        expect = (
            acct is not None
            and offer is not None
            and key(offer.to) == key(email)
            and member is not None
            and member.effective(self.now) == "active"
            and (offer.keep_as is None or offer.keep_as in acct.profiles)
        )
        done = self.attempt(expect, ownership.accept_transfer, self.ctx(email), slug)
        if done is None:
            return
        assert acct is not None and offer is not None and member is not None
        old = acct.owner
        member.status = "revoked"
        acct.owner = email
        acct.former_owners.add(key(old))
        acct.former_owners.discard(key(email))
        if offer.keep_as is not None:
            acct.members[key(old)] = Member("active", offer.keep_as, self.now)
        offer.status = "accepted"

    @rule(
        data=st.data(),
        actor=st.sampled_from(EVERYONE),
        action=st.sampled_from(
            [
                "invite",
                "remove",
                "edit",
                "renew",
                "set-profile",
                "delete",
                "set-access-until",
                "transfer",
                "cancel-transfer",
            ]
        ),
        email=st.sampled_from(EVERYONE),
    )
    def someone_else_manages(
        self, data: st.DataObject, actor: str, action: str, email: str
    ) -> None:
        """Only the owner manages the team: an active collaborator is forbidden (5), anyone
        else is told what a missing account would tell them (3), whatever the target."""
        slug = self.pick_slug(data)
        name = self.pick_name(data, slug)
        acct = self.account(slug)
        if acct is None or key(actor) == key(acct.owner):
            return
        ctx = self.ctx(actor)
        calls = {
            "invite": lambda: collaborators.invite(ctx, email, profile=name, account=slug),
            "remove": lambda: collaborators.remove(ctx, email, account=slug),
            "edit": lambda: profiles.edit(ctx, name, add=[DELEGABLE[0]], account=slug),
            "renew": lambda: collaborators.renew(ctx, email, account=slug),
            "set-profile": lambda: collaborators.set_profile(ctx, email, name, account=slug),
            "delete": lambda: profiles.delete(ctx, name, account=slug),
            "set-access-until": lambda: collaborators.set_access_until(
                ctx, email, "never", account=slug
            ),
            "transfer": lambda: ownership.transfer(ctx, slug, email),
            "cancel-transfer": lambda: ownership.cancel_transfer(ctx, slug),
        }
        member = acct.members.get(key(actor))
        knows = member is not None and member.effective(self.now) == "active"
        self.attempt(False, calls[action])
        assert isinstance(self.last_error, Forbidden if knows else NotFound), self.last_error

    # -- invariants --------------------------------------------------------------

    @invariant()
    def access_follows_the_rules(self) -> None:
        perms = catalog().permissions
        with reading(self.ctx(None)) as s:
            assert access.standing_of(s, "no-such-account", OWNERS[0]).account is None
            for slug, model in self.model.items():
                acct = s.account_by_slug(slug)  # the store's row, whoever is logged in
                assert acct is not None, slug
                listed = {key(st_.user): st_ for st_ in access.standings(s, acct)}
                owners = []
                for email in EVERYONE:
                    st_ = access.standing_of(s, acct, email)
                    held = {p.id for p in perms if access.decide(st_, p)[0]}
                    if st_.owner:
                        owners.append(email)
                        assert held == ALL_IDS, (slug, email)  # 3
                        continue
                    assert not held & OWNER_ONLY, (slug, email, held & OWNER_ONLY)  # 4
                    member = model.members.get(key(email))
                    expected_status = member.effective(self.now) if member else None
                    assert st_.status == expected_status, (slug, email, st_, member)
                    if st_.status != "active":
                        assert held == set(), (slug, email, st_.status, held)  # 1
                    else:
                        assert member is not None and member.profile is not None
                        assert st_.profile == member.profile, (slug, email)
                        assert held == set(model.profiles[member.profile]), (slug, email)  # 2
                    # the list behind matrix and who-can agrees with the one-person lookup
                    if st_.status is not None:
                        other = listed[key(email)]
                        assert {p.id for p in perms if access.decide(other, p)[0]} == held
                        assert (other.status, other.profile) == (st_.status, st_.profile)
                assert [key(o) for o in owners] == [key(model.owner)], (slug, owners)  # 5
                assert [st_ for st_ in listed.values() if st_.owner] == [listed[key(model.owner)]]
                live_rows = s.conn.execute(
                    "SELECT count(*) FROM memberships WHERE account_id = ? AND user_id = ?"
                    " AND status IN ('pending', 'active')",
                    (acct.id, acct.owner_id),
                ).fetchone()[0]
                assert live_rows == 0, (slug, "the owner has a live membership")  # 5
                for former in model.former_owners:  # 6
                    st_ = access.standing_of(s, acct, former)
                    held = {p.id for p in perms if access.decide(st_, p)[0]}
                    member = model.members.get(former)
                    if member is None or member.effective(self.now) != "active":
                        assert held == set(), (slug, former, st_)
                    else:
                        assert member.profile is not None
                        assert held == set(model.profiles[member.profile]), (slug, former)
                offer = ownership.open_offer(s, acct)  # 7
                expected = model.offer if model.offer and model.offer.open(self.now) else None
                if expected is None:
                    assert offer is None, (slug, offer)
                else:
                    assert offer is not None, (slug, expected)
                    assert (key(offer.to), offer.keep_as) == (key(expected.to), expected.keep_as)


@pytest.mark.slow  # a few hundred steps over a real store file
def test_lifecycle_state_machine() -> None:
    run_state_machine_as_test(
        LifecycleMachine,
        settings=settings(
            max_examples=200,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
