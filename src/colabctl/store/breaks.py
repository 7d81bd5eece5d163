"""The state the log describes held against the state the tables hold: every difference
is a break, named in words (docs/storage.md, "What audit verify checks").

A break names its account (none for a user or a binding), its subject (a person, a
profile, a finding, a login; an account's own field for a difference in the account),
and what the store and the log say. Tax IDs are never shown: a break about a tax ID or
its country has neither value. Statuses that time alone decides are compared as time
has decided them: a pending invitation past its expiry matches an expired one, and an
open offer past its expiry an expired one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from colabctl.i18n import N_, NC_, Text, Word
from colabctl.store.replay import Ack, Member, Problem, State, Transfer


@dataclass(frozen=True)
class Break:
    kind: str  # user, account, profile, permission, membership, transfer, binding, ack, row
    account: str | None
    subject: str | None
    store: Any
    log: Any
    message: str  # the whole sentence, its account first: a Text (English in JSON)


def _break(
    kind: str, account: str | None, subject: str | None, store: Any, log: Any, text: Text
) -> Break:
    message = Text("%(account)s: %(problem)s", account=account, problem=text) if account else text
    return Break(kind, account, subject, store, log, message)


def _q(value: Any) -> str:
    """Free text in a message: quoted, control characters escaped (JSON's escapes)."""
    return Text("none") if value is None else json.dumps(value, ensure_ascii=False)


# An offer's status as a person reads it (JSON keeps the value).
OFFER_WORDS = (
    NC_("offer", "open"),
    NC_("offer", "accepted"),
    NC_("offer", "cancelled"),
    NC_("offer", "expired"),
)


def differences(log: State, store: State, problems: list[Problem], now: str) -> list[Break]:
    """Every break: rows that did not replay, then what differs, kind by kind."""
    found = [
        _break(
            "row",
            p.account,
            f"seq {p.seq}",
            None,
            None,
            Text(
                "row %(seq)d (%(action)s) does not replay: %(why)s",
                seq=p.seq,
                action=p.action,
                why=p.why,
            ),
        )
        for p in problems
    ]
    for compare in (_users, _accounts, _profiles, _members, _transfers, _bindings, _acks):
        found.extend(compare(log, store, now))
    return found


def _email(log: State, store: State, key: str) -> str:
    return store.email(key) if key in store.users else log.email(key)


def _users(log: State, store: State, now: str) -> Iterator[Break]:
    if store.users == log.users:  # the common case, compared at C speed
        return
    for key in sorted(store.users.keys() | log.users.keys()):
        held, said = store.users.get(key), log.users.get(key)
        if held == said:
            continue
        if said is None:
            assert held is not None
            text = Text("a user %(email)s that no audit row created", email=held[0])
            yield _break("user", None, held[0], held[0], None, text)
        elif held is None:
            text = Text("user %(email)s, whom the log creates, is not in the store", email=said[0])
            yield _break("user", None, said[0], None, said[0], text)
        else:
            if held[0] != said[0]:
                yield _break(
                    "user",
                    None,
                    said[0],
                    held[0],
                    said[0],
                    Text(
                        "a user's email is %(store)s in the store, %(log)s in the log",
                        store=_q(held[0]),
                        log=_q(said[0]),
                    ),
                )
            if held[1] != said[1]:
                yield _break(
                    "user",
                    None,
                    said[0],
                    held[1],
                    said[1],
                    Text(
                        "%(email)s's name is %(store)s in the store, %(log)s in the log",
                        email=said[0],
                        store=_q(held[1]),
                        log=_q(said[1]),
                    ),
                )


def _accounts(log: State, store: State, now: str) -> Iterator[Break]:
    for slug in sorted(store.accounts.keys() | log.accounts.keys()):
        held, said = store.accounts.get(slug), log.accounts.get(slug)
        if said is None:
            text = Text("an account that no audit row created")
            yield _break("account", slug, None, slug, None, text)
        elif held is None:
            text = Text("an account the log creates is not in the store")
            yield _break("account", slug, None, None, slug, text)
        else:
            yield from _account_fields(log, store, slug, held, said)


def _account_fields(
    log: State, store: State, slug: str, held: list[Any], said: list[Any]
) -> Iterator[Break]:
    if held[0] != said[0]:
        text = Text(
            "its name is %(store)s in the store, %(log)s in the log",
            store=_q(held[0]),
            log=_q(said[0]),
        )
        yield _break("account", slug, "name", held[0], said[0], text)
    if held[1] != said[1]:
        owners = _email(log, store, held[1]), _email(log, store, said[1])
        text = Text(
            "its owner is %(store)s in the store, %(log)s in the log",
            store=owners[0],
            log=owners[1],
        )
        yield _break("account", slug, "owner", owners[0], owners[1], text)
    if held[2] != said[2]:
        text = Text("its tax country in the store is not the one the log gives")
        yield _break("account", slug, "country", None, None, text)
    if held[3] != said[3]:
        text = Text("its tax ID in the store is not the one the log gives")
        yield _break("account", slug, "tax_id", None, None, text)


def _profiles(log: State, store: State, now: str) -> Iterator[Break]:
    for slug in sorted(store.profiles.keys() | log.profiles.keys()):
        held_all, said_all = store.profiles.get(slug, {}), log.profiles.get(slug, {})
        if held_all == said_all:
            continue
        for name in sorted(held_all.keys() | said_all.keys()):
            held, said = held_all.get(name), said_all.get(name)
            if said is None:
                text = Text("a profile %(profile)s that no audit row created", profile=name)
                yield _break("profile", slug, name, name, None, text)
            elif held is None:
                text = Text(
                    "profile %(profile)s, which the log holds, is not in the store", profile=name
                )
                yield _break("profile", slug, name, None, name, text)
            else:
                yield from _profile_fields(slug, name, held, said)


def _profile_fields(slug: str, name: str, held: list[Any], said: list[Any]) -> Iterator[Break]:
    if held[0] != said[0]:
        text = Text(
            "profile %(profile)s's description is %(store)s in the store, %(log)s in the log",
            profile=name,
            store=_q(held[0]),
            log=_q(said[0]),
        )
        yield _break("profile", slug, name, held[0], said[0], text)
    for permission in sorted(held[1] - said[1]):
        text = Text(
            "profile %(profile)s holds %(permission)s, which no audit row gave it",
            profile=name,
            permission=permission,
        )
        yield _break("permission", slug, name, permission, None, text)
    for permission in sorted(said[1] - held[1]):
        text = Text(
            "profile %(profile)s lacks %(permission)s, which the log gives it",
            profile=name,
            permission=permission,
        )
        yield _break("permission", slug, name, None, permission, text)


# -- memberships -----------------------------------------------------------------------------


def _member_json(member: Member) -> dict[str, Any]:
    return dict(zip(("profile", "status", "expires_at", "access_until"), member, strict=True))


def _member_status(member: Member, now: str) -> str:
    status: str = member[1]
    if status in ("pending", "expired") and member[2] is not None and member[2] <= now:
        return "expired"  # time decides it, whether or not a write has recorded it yet
    return status


def _members(log: State, store: State, now: str) -> Iterator[Break]:
    for slug in sorted(store.members.keys() | log.members.keys()):
        held_all, said_all = store.members.get(slug, {}), log.members.get(slug, {})
        if held_all == said_all:  # as stored: then as time decides too
            continue
        for key in sorted(held_all.keys() | said_all.keys()):
            held, said = held_all.get(key, []), said_all.get(key, [])
            if held == said:
                continue
            email = _email(log, store, key)
            for a, b in zip(held, said, strict=False):
                yield from _member_fields(slug, email, a, b, now)
            for extra in held[len(said) :]:
                text = Text("a membership of %(email)s that no audit row created", email=email)
                yield _break("membership", slug, email, _member_json(extra), None, text)
            for lost in said[len(held) :]:
                text = Text(
                    "a membership of %(email)s that the log holds is not in the store", email=email
                )
                yield _break("membership", slug, email, None, _member_json(lost), text)


def _member_fields(slug: str, email: str, held: Member, said: Member, now: str) -> Iterator[Break]:
    if held[0] != said[0]:
        text = _profile_differs(email, held[0], said[0])
        yield _break("membership", slug, email, held[0], said[0], text)
    statuses = _member_status(held, now), _member_status(said, now)
    if statuses[0] != statuses[1]:
        text = Text(
            "%(email)s's membership is %(store)s in the store, %(log)s in the log",
            email=email,
            store=Word("status", statuses[0]),
            log=Word("status", statuses[1]),
        )
        yield _break("membership", slug, email, held[1], said[1], text)
    if held[2] != said[2]:
        text = Text(
            "%(email)s's invitation expires at %(store)s in the store, %(log)s in the log",
            email=email,
            store=held[2],
            log=said[2],
        )
        yield _break("membership", slug, email, held[2], said[2], text)
    if held[3] != said[3]:
        text = _until_differs(email, held[3], said[3])
        yield _break("membership", slug, email, held[3], said[3], text)


def _profile_differs(email: str, store: str | None, log: str | None) -> Text:
    if store is None:
        return Text(
            "%(email)s is without a profile in the store, %(log)s in the log", email=email, log=log
        )
    if log is None:
        return Text(
            "%(email)s is %(store)s in the store, without a profile in the log",
            email=email,
            store=store,
        )
    return Text(
        "%(email)s is %(store)s in the store, %(log)s in the log", email=email, store=store, log=log
    )


def _until_differs(email: str, store: str | None, log: str | None) -> Text:
    if store is None:
        return Text(
            "%(email)s has access that does not end in the store, until %(log)s in the log",
            email=email,
            log=log,
        )
    if log is None:
        return Text(
            "%(email)s has access until %(store)s in the store, that does not end in the log",
            email=email,
            store=store,
        )
    return Text(
        "%(email)s has access until %(store)s in the store, until %(log)s in the log",
        email=email,
        store=store,
        log=log,
    )


# -- transfers, bindings, acks ---------------------------------------------------------------


def _offer_status(offer: Transfer, now: str) -> str:
    status: str = offer[3]
    if status in ("open", "expired") and offer[4] is not None and offer[4] <= now:
        return "expired"
    return status


def _transfers(log: State, store: State, now: str) -> Iterator[Break]:
    def shown(offer: Transfer) -> dict[str, Any]:
        sender, recipient = (_email(log, store, k) for k in offer[:2])
        keys = ("from", "to", "keep_as", "status", "expires_at")
        return dict(zip(keys, [sender, recipient, *offer[2:]], strict=True))

    for slug in sorted(store.transfers.keys() | log.transfers.keys()):
        held, said = store.transfers.get(slug, []), log.transfers.get(slug, [])
        if held == said:
            continue
        for a, b in zip(held, said, strict=False):
            one, other = shown(a), shown(b)
            one["status"], other["status"] = _offer_status(a, now), _offer_status(b, now)
            for name, message in _OFFER_FIELDS:
                if one[name] != other[name]:
                    text = Text(
                        message,
                        to=other["to"],
                        store=_offer_value(name, one[name]),
                        log=_offer_value(name, other[name]),
                    )
                    yield _break("transfer", slug, other["to"], one[name], other[name], text)
        for extra in held[len(said) :]:
            offer = shown(extra)
            text = Text("a transfer offer to %(to)s that no audit row made", to=offer["to"])
            yield _break("transfer", slug, offer["to"], offer, None, text)
        for lost in said[len(held) :]:
            offer = shown(lost)
            text = Text(
                "the transfer offer to %(to)s that the log holds is not in the store",
                to=offer["to"],
            )
            yield _break("transfer", slug, offer["to"], None, offer, text)


def _offer_value(name: str, value: Any) -> Any:
    if not value:
        return Text("none")
    return Word("offer", value) if name == "status" else value


# What differs in an offer, a whole sentence for each field.
_OFFER_FIELDS = (
    (
        "from",
        N_("the transfer offer to %(to)s has sender %(store)s in the store, %(log)s in the log"),
    ),
    (
        "to",
        N_("the transfer offer to %(to)s has recipient %(store)s in the store, %(log)s in the log"),
    ),
    (
        "keep_as",
        N_(
            "the transfer offer to %(to)s has keep-as profile %(store)s in the store, %(log)s"
            " in the log"
        ),
    ),
    (
        "status",
        N_("the transfer offer to %(to)s has status %(store)s in the store, %(log)s in the log"),
    ),
    (
        "expires_at",
        N_("the transfer offer to %(to)s has expiry %(store)s in the store, %(log)s in the log"),
    ),
)


def _bindings(log: State, store: State, now: str) -> Iterator[Break]:
    for login in sorted(store.bindings.keys() | log.bindings.keys()):
        held, said = store.bindings.get(login), log.bindings.get(login)
        one = _email(log, store, held) if held is not None else None
        other = _email(log, store, said) if said is not None else None
        if one == other:
            continue
        if other is None:
            text = Text(
                "the login %(login)s is bound to %(user)s, which no audit row did",
                login=login,
                user=one,
            )
        elif one is None:
            text = Text(
                "the login %(login)s, which the log binds to %(user)s, is not bound in the store",
                login=login,
                user=other,
            )
        else:
            text = Text(
                "the login %(login)s is bound to %(store)s in the store, %(log)s in the log",
                login=login,
                store=one,
                log=other,
            )
        yield _break("binding", None, login, one, other, text)


_ACK_FIELDS = ("finding", "fingerprint", "actor", "reason")


def _ack_json(ack: Ack) -> dict[str, Any]:
    return dict(zip(_ACK_FIELDS, ack, strict=True))


def _acks(log: State, store: State, now: str) -> Iterator[Break]:
    for slug in sorted(store.acks.keys() | log.acks.keys()):
        held, said = store.acks.get(slug, []), log.acks.get(slug, [])
        if held == said:
            continue
        for a, b in zip(held, said, strict=False):
            for name, one, other in zip(_ACK_FIELDS, a, b, strict=True):
                if one != other:
                    text = Text(
                        "the acknowledgement of finding %(id)s has %(field)s %(store)s in the"
                        " store, %(log)s in the log",
                        id=b[0],
                        field=name,
                        store=_q(one),
                        log=_q(other),
                    )
                    yield _break("ack", slug, b[0], one, other, text)
        for extra in held[len(said) :]:
            text = Text("an acknowledgement of finding %(id)s that no audit row made", id=extra[0])
            yield _break("ack", slug, extra[0], _ack_json(extra), None, text)
        for lost in said[len(held) :]:
            text = Text(
                "the acknowledgement of finding %(id)s that the log holds is not in the store",
                id=lost[0],
            )
            yield _break("ack", slug, lost[0], None, _ack_json(lost), text)
