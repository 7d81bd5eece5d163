"""The audit log replayed: one pure fold of audit rows into the state they describe
(docs/storage.md, "What audit verify checks").

Every mutation's row says enough to redo it, given the state replayed so far, so the
rows alone rebuild who the users are, which accounts, profiles, permissions,
memberships, ownership offers, store bindings and review acknowledgements there are.
`audit verify` folds the rows as it walks the chain (one pass) and holds the result
against the tables (store/holdings.py reads them, store/breaks.py compares); migration
m009 and the tests use the same fold.

Things are named by natural keys, never by ids: users by identity key, accounts by
slug, profiles by name, each person's memberships of an account in order. A tax ID is
kept as the SHA-256 of `country:number` (`tax_digest`), which is also how a
`store.checkpoint` row carries it: a checkpoint holds the whole state at one moment
(`checkpoint_details`), and replay starts again from it.

Speed matters: a 100,000-row log is folded while its hashes are checked, within 2x the
chain walk alone (bench/audit_verify.py). So the state is plain dicts and lists, and a
row's details are parsed only by the actions that need them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from colabctl.i18n import Text
from colabctl.store.keys import email_key

CHECKPOINT = "store.checkpoint"
CHECKPOINT_FORMAT = 1

# Stored statuses that speak for a person in an account (the memberships_live index).
LIVE = ("pending", "active")

# A membership: [profile (a deleted one's name on a history row), status as stored,
# expires_at, access_until]
# A transfer: [from key, to key, keep_as, status as stored, expires_at]
# An acknowledgement: (finding, fingerprint, actor, reason)
Member = list[Any]
Transfer = list[Any]
Ack = tuple[str, str | None, str, str]


def tax_digest(country: str | None, number: str | None) -> str | None:
    """How replay holds a tax ID (and a checkpoint carries it): SHA-256 of
    `country:number`, the number compact as stored. None for no tax ID."""
    if number is None:
        return None
    return hashlib.sha256(f"{country}:{number}".encode()).hexdigest()


@dataclass
class State:
    """What the log says the store holds (or what the tables hold: store/holdings.py)."""

    # identity key -> (email as stored, display name)
    users: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # slug -> [name, owner's identity key, tax country, tax_digest]
    accounts: dict[str, list[Any]] = field(default_factory=dict)
    # slug -> profile name -> [description, set of permission ids]
    profiles: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # slug -> identity key -> that person's memberships of the account, oldest first
    members: dict[str, dict[str, list[Member]]] = field(default_factory=dict)
    # slug -> the account's ownership offers, oldest first
    transfers: dict[str, list[Transfer]] = field(default_factory=dict)
    # database login -> identity key of the user it is bound to
    bindings: dict[str, str] = field(default_factory=dict)
    # slug -> the account's review acknowledgements, oldest first
    acks: dict[str, list[Ack]] = field(default_factory=dict)

    def email(self, key: str) -> str:
        """KEY's email as stored, for a message (the key itself when unknown)."""
        user = self.users.get(key)
        return str(user[0]) if user else key


@dataclass(frozen=True)
class Problem:
    """A row that does not replay onto the state before it."""

    seq: int
    action: str
    account: str | None
    why: str  # a Text


class Unreplayable(Exception):
    """Raised by a step: the row does not apply to the state replayed so far. WHY is a
    Text (English in `verify --json`, translated when shown)."""

    def __init__(self, why: Text) -> None:
        super().__init__(why)
        self.why = why


class Replay:
    """The fold: `row()` applies one audit row, in seq order. `state` is what the rows so
    far describe, `start` the seq replay (re)started from (the last checkpoint, else 1),
    `problems` the rows since then that did not apply."""

    def __init__(self) -> None:
        self.state = State()
        self.start = 1
        self.problems: list[Problem] = []
        # the last details parsed: steps only read them, so a row whose details are the
        # previous row's (every invitation of one apply to one profile) shares them
        self._text: str | None = None
        self._details: dict[str, Any] = {}

    def row(
        self,
        seq: int,
        at: str,
        actor: str | None,
        account: str | None,
        action: str,
        target: str | None,
        details: str,
    ) -> None:
        step = _STEPS.get(action)
        if step is None:
            if action == CHECKPOINT:
                self._restart(seq, details)
                return
            self.problems.append(
                Problem(seq, action, account, Text("colabctl knows no such action"))
            )
            return
        try:
            if details != self._text:  # rows of one apply repeat their details
                self._details, self._text = _object(details), details
            step(self.state, at, actor, account, target, self._details)
        except Unreplayable as exc:
            self.problems.append(Problem(seq, action, account, exc.why))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # details without what the action needs: a row written by hand, or before the
            # action's row said enough (a checkpoint covers those: docs/storage.md)
            error = f"{type(exc).__name__}: {exc}"
            why = Text("its details lack what it needs (%(error)s)", error=error)
            self.problems.append(Problem(seq, action, account, why))

    def _restart(self, seq: int, details: str) -> None:
        try:
            state = state_from_checkpoint(_object(details))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            why = Text("it is not a checkpoint colabctl can read (%(error)s)", error=str(exc))
            self.problems.append(Problem(seq, CHECKPOINT, None, why))
            return
        self.state, self.start, self.problems = state, seq, []


def fold(rows: Iterable[tuple[int, str, str | None, str | None, str, str | None, str]]) -> Replay:
    """Every row (seq, at, actor, account, action, target, details text), in order."""
    replay = Replay()
    for row in rows:
        replay.row(*row)
    return replay


# json's own C scanner, called directly: json.loads spends two thirds of its time on a
# small object in the Python around it (whitespace regexes, checks)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _object(text: str) -> dict[str, Any]:
    """A row's details, canonical JSON text (no whitespace around it), as a dict."""
    try:
        found, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("its details are not JSON") from None
    if not isinstance(found, dict) or end != len(text):
        raise ValueError("its details are not one JSON object")
    return found


def _slug(account: str | None) -> str:
    if account is None:
        raise Unreplayable(Text("it names no account"))
    return account


def _key(target: str | None) -> str:
    if target is None:
        raise Unreplayable(Text("it names no one"))
    return email_key(target)


# A row's details, parsed. A step only reads them (Replay.row hands one dict to every row
# whose details are the previous row's).
Details = dict[str, Any]
# A step applies one row: (state, at, actor, account, target, details).
Step = Callable[[State, str, str | None, str | None, str | None, Details], None]


# -- users and accounts ----------------------------------------------------------------------


def _user_create(state: State, at: str, actor: Any, account: Any, target: Any, d: Details) -> None:
    state.users[_key(target)] = (target or "", d.get("name"))


def _user_rename(state: State, at: str, actor: Any, account: Any, target: Any, d: Details) -> None:
    key = _key(target)
    user = state.users.get(key)
    if user is None:
        raise Unreplayable(Text("no user %(user)s in the log", user=target))
    state.users[key] = (user[0], d["name"])


def _account_create(
    state: State, at: str, actor: str | None, account: str | None, target: Any, d: Details
) -> None:
    if actor is None:
        raise Unreplayable(Text("it names no owner"))
    country, number = d.get("country"), d.get("tax_id")
    owner = email_key(actor)
    state.accounts[_slug(account)] = [d["name"], owner, country, tax_digest(country, number)]


def _account(state: State, account: str | None) -> list[Any]:
    found = state.accounts.get(_slug(account))
    if found is None:
        raise Unreplayable(Text("no account %(account)s in the log", account=account))
    return found


def _account_rename(
    state: State, at: str, actor: Any, account: str | None, target: Any, d: Details
) -> None:
    _account(state, account)[0] = d["name"]


def _account_set_tax_id(
    state: State, at: str, actor: Any, account: str | None, target: Any, d: Details
) -> None:
    found = _account(state, account)
    found[2], found[3] = d["country"], tax_digest(d["country"], d["tax_id"])


# -- profiles --------------------------------------------------------------------------------


def _profiles(state: State, account: str | None) -> dict[str, list[Any]]:
    _account(state, account)
    return state.profiles.setdefault(_slug(account), {})


def _profile(state: State, account: str | None, name: str | None) -> list[Any]:
    profile = _profiles(state, account).get(name or "")
    if profile is None:
        raise Unreplayable(
            Text("no profile %(profile)s in %(account)s in the log", profile=name, account=account)
        )
    return profile


def _profile_create(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    # rows from before the description was recorded had none unless one was given:
    # where one was, the state differs and migration m009 wrote a checkpoint
    _profiles(state, account)[target or ""] = [d.get("description", ""), set(d["permissions"])]


def _profile_edit(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    profile = _profile(state, account, target)
    profile[1] = (profile[1] | set(d["added"])) - set(d["removed"])
    if d.get("description") is not None:
        profile[0] = d["description"]


def _profile_delete(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    """The people the row names (`holders`, and since they are counted, the `assigned`:
    expired and ended) move with --reassign, each by the membership that speaks for them;
    every other row naming the profile is history and keeps its name (m011: the store's
    `memberships.profile_name`). A row from before `assigned` was written named only the
    live holders, which is the same."""
    _profile(state, account, target)
    moved_to = d.get("reassigned_to")
    if moved_to is not None:
        _profile(state, account, moved_to)
    slug = _slug(account)
    people = state.members.get(slug, {})
    moved = []
    for email in [*d.get("holders", ()), *d.get("assigned", ())]:
        history = people.get(email_key(email))
        member = _speaking(history) if history else None
        if moved_to is None or member is None or member[0] != target:
            raise Unreplayable(
                Text(
                    "%(user)s is not assigned to %(profile)s in the log", user=email, profile=target
                )
            )
        moved.append(member)
    del state.profiles[slug][target or ""]
    for member in moved:
        member[0] = moved_to


# -- memberships -----------------------------------------------------------------------------


def _history(state: State, account: str | None, target: str | None) -> list[Member]:
    history = state.members.get(_slug(account), {}).get(_key(target))
    if not history:
        raise Unreplayable(
            Text(
                "%(user)s has no membership of %(account)s in the log", user=target, account=account
            )
        )
    return history


def _live(state: State, account: str | None, target: str | None) -> Member:
    """The person's live membership (stored pending or active): at most one."""
    for member in reversed(_history(state, account, target)):
        if member[1] in LIVE:
            return member
    raise Unreplayable(Text("%(user)s has no pending or active membership in the log", user=target))


def _invitation_create(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    """The hot step (a team-file apply writes one per person): kept to one scan of the
    details and a handful of dict lookups."""
    if target is None:
        raise Unreplayable(Text("it names no one"))
    key = email_key(target)
    if account is None or account not in state.accounts:
        raise Unreplayable(Text("no account %(account)s in the log", account=account))
    if d.get("new_user"):
        state.users[key] = (target, None)
    elif key not in state.users:
        raise Unreplayable(Text("no user %(user)s in the log", user=target))
    member = [d["profile"], "pending", d["expires_at"], d.get("access_until")]
    people = state.members.get(account)
    if people is None:
        state.members[account] = {key: [member]}
        return
    history = people.get(key)
    if history is None:
        people[key] = [member]
    else:
        history.append(member)


def _set_status(status: str, *, offer: bool = False) -> Step:
    """The step that gives the person's live membership (with OFFER, the account's open
    ownership offer) STATUS."""

    def step(
        state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
    ) -> None:
        if offer:
            _open_offer(state, account)[3] = status
        else:
            _live(state, account, target)[1] = status

    return step


def _speaking(history: list[Member]) -> Member:
    """The membership that speaks for a person (HISTORY: theirs, oldest first): the live
    one, else the latest (core/session.current_membership_sql)."""
    return next((m for m in reversed(history) if m[1] in LIVE), history[-1])


def _invitation_renew(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    member = _speaking(_history(state, account, target))
    member[1], member[2] = "pending", d["expires_at"]


def _set_profile(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    _live(state, account, target)[0] = d["to"]


def _set_access_until(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    _live(state, account, target)[3] = d["to"]


# -- ownership offers ------------------------------------------------------------------------


def _open_offer(state: State, account: str | None) -> Transfer:
    for offer in reversed(state.transfers.get(_slug(account), [])):
        if offer[3] == "open":
            return offer
    raise Unreplayable(Text("no open transfer offer of %(account)s in the log", account=account))


def _transfer_offer(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    owner = _account(state, account)[1]
    state.transfers.setdefault(_slug(account), []).append(
        [owner, _key(target), d.get("keep_as"), "open", d["expires_at"]]
    )


def _transfer_accept(
    state: State, at: str, actor: Any, account: str | None, target: str | None, d: Details
) -> None:
    """The recipient's live membership ends as revoked, they become the owner, and the
    previous owner stays with the kept profile (a new active membership) or leaves."""
    found, offer = _account(state, account), _open_offer(state, account)
    kept = d.get("kept_as")
    if kept is not None:
        _profile(state, account, kept)
    offer[3] = "accepted"
    _live(state, account, target)[1] = "revoked"
    previous, found[1] = found[1], _key(target)
    if kept is not None:
        people = state.members.setdefault(_slug(account), {})
        people.setdefault(previous, []).append([kept, "active", at, None])


# -- review acknowledgements and store bindings ----------------------------------------------


def _review_ack(
    state: State, at: str, actor: str | None, account: str | None, target: Any, d: Details
) -> None:
    _account(state, account)
    if actor is None:
        raise Unreplayable(Text("it names no actor"))
    # rows from before the fingerprint was recorded: None, which no table row holds
    state.acks.setdefault(_slug(account), []).append(
        (d["finding"], d.get("fingerprint"), actor, d["reason"])
    )


def _store_bind(
    state: State, at: str, actor: Any, account: Any, target: str | None, d: Details
) -> None:
    if target is None:
        raise Unreplayable(Text("it names no login"))
    state.bindings[target] = email_key(d["user"])


def _store_unbind(
    state: State, at: str, actor: Any, account: Any, target: str | None, d: Details
) -> None:
    if state.bindings.pop(target or "", None) is None:
        raise Unreplayable(Text("the login %(login)s is not bound in the log", login=target))


def _nothing(state: State, at: str, actor: Any, account: Any, target: Any, d: Details) -> None:
    """A row that changes no state (the demo's mark)."""


_STEPS: dict[str, Step] = {
    "user.create": _user_create,
    "user.rename": _user_rename,
    "account.create": _account_create,
    "account.rename": _account_rename,
    "account.set_tax_id": _account_set_tax_id,
    "profile.create": _profile_create,
    "profile.edit": _profile_edit,
    "profile.delete": _profile_delete,
    "invitation.create": _invitation_create,
    "invitation.accept": _set_status("active"),
    "invitation.decline": _set_status("declined"),
    "invitation.expire": _set_status("expired"),
    "invitation.renew": _invitation_renew,
    "collaborator.set_profile": _set_profile,
    "collaborator.set_access_until": _set_access_until,
    "collaborator.remove": _set_status("revoked"),
    "account.transfer_offer": _transfer_offer,
    "account.transfer_cancel": _set_status("cancelled", offer=True),
    "account.transfer_expire": _set_status("expired", offer=True),
    "account.transfer_accept": _transfer_accept,
    "review.ack": _review_ack,
    "store.bind": _store_bind,
    "store.unbind": _store_unbind,
    "demo.build": _nothing,
}

KNOWN_ACTIONS = frozenset({*_STEPS, CHECKPOINT})


# -- checkpoints -----------------------------------------------------------------------------
#
# A checkpoint's details: {"checkpoint": 1, "users": [[email, name]], "accounts": [[slug,
# name, owner email, country, tax_digest]], "profiles": [[slug, name, description,
# [permission ids]]], "memberships": [[slug, email, profile, status, expires_at,
# access_until]] (each person's oldest first), "transfers": [[slug, from email, to email,
# keep_as, status, expires_at]] (oldest first), "bindings": [[login, email]], "acks":
# [[slug, finding, fingerprint, actor, reason]] (oldest first)}. People are named by
# email as stored; their identity keys are recomputed by today's rule on replay.


def checkpoint_details(state: State) -> dict[str, Any]:
    """STATE as a `store.checkpoint` row's details."""
    mail = state.email
    return {
        "checkpoint": CHECKPOINT_FORMAT,
        "users": sorted(([u[0], u[1]] for u in state.users.values()), key=lambda u: u[0]),
        "accounts": [
            [slug, a[0], mail(a[1]), a[2], a[3]] for slug, a in sorted(state.accounts.items())
        ],
        "profiles": [
            [slug, name, p[0], sorted(p[1])]
            for slug, named in sorted(state.profiles.items())
            for name, p in sorted(named.items())
        ],
        "memberships": [
            [slug, mail(key), *member]
            for slug, people in sorted(state.members.items())
            for key, history in sorted(people.items())
            for member in history
        ],
        "transfers": [
            [slug, mail(t[0]), mail(t[1]), *t[2:]]
            for slug, offers in sorted(state.transfers.items())
            for t in offers
        ],
        "bindings": [[login, mail(key)] for login, key in sorted(state.bindings.items())],
        "acks": [[slug, *ack] for slug, acks in sorted(state.acks.items()) for ack in acks],
    }


def state_from_checkpoint(data: dict[str, Any]) -> State:
    """The State a checkpoint's details hold (checkpoint_details' inverse)."""
    if data.get("checkpoint") != CHECKPOINT_FORMAT:
        raise ValueError(f"unknown checkpoint format {data.get('checkpoint')!r}")
    state = State()
    for email, name in data["users"]:
        state.users[email_key(email)] = (email, name)
    for slug, name, owner, country, digest in data["accounts"]:
        state.accounts[slug] = [name, email_key(owner), country, digest]
    for slug, name, description, permissions in data["profiles"]:
        state.profiles.setdefault(slug, {})[name] = [description, set(permissions)]
    for slug, email, *member in data["memberships"]:
        people = state.members.setdefault(slug, {})
        people.setdefault(email_key(email), []).append(_sized(member, 4))
    for slug, sender, recipient, *rest in data["transfers"]:
        offer = [email_key(sender), email_key(recipient), *_sized(rest, 3)]
        state.transfers.setdefault(slug, []).append(offer)
    for login, email in data["bindings"]:
        state.bindings[login] = email_key(email)
    for slug, *ack in data["acks"]:
        finding, fingerprint, actor, reason = _sized(ack, 4)
        state.acks.setdefault(slug, []).append((finding, fingerprint, actor, reason))
    return state


def _sized(values: list[Any], size: int) -> list[Any]:
    if len(values) != size:
        raise ValueError(f"a record of {len(values)} values where {size} belong")
    return list(values)
