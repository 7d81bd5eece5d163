"""Applying a plan: each change through the mutation's own in-transaction form
(`*_in`, `*_many_in`), the very code the one-at-a-time commands run, inside the caller's
one write transaction (core/session.writing), each writing its audit row tagged with one
apply id."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime, timedelta

from colabctl.core import access, accounts, collaborators, profiles
from colabctl.core.identity import email_key
from colabctl.core.names import quoted
from colabctl.core.session import Account, Session
from colabctl.core.team.model import Change
from colabctl.core.team.planner import GATED, owned
from colabctl.errors import Forbidden, Invalid
from colabctl.i18n import _


def execute(
    s: Session, changes: Sequence[Change], progress: Callable[[int], None] | None = None
) -> str:
    """Run CHANGES inside the caller's transaction, each through the mutation's own
    in-transaction form, each writing its audit row tagged with one apply id."""
    apply_id = secrets.token_hex(8)
    s.tag = {"apply": apply_id}
    try:
        by_account: dict[str, list[Change]] = {}
        with s.deferred_audit():
            for change in changes:
                if change.kind == "register-user":  # first: the rest is done as them
                    register(s, change)
                    if progress:
                        progress(1)
                else:
                    by_account.setdefault(change.account, []).append(change)
            mine = {acct.slug for acct in access.owned_accounts(s)}
            for slug, changed in by_account.items():
                _execute_account(s, slug, changed, mine, progress)
    finally:
        s.tag = {}
    return apply_id


def register(s: Session, change: Change) -> None:
    """The actor registers themself, with the audit row `login` writes; nobody else."""
    from colabctl.core.users import register_in

    refuse_registration(s, change)
    register_in(s, change.target, None)


def refuse_registration(s: Session, change: Change, where: str | None = None) -> None:
    """A plan registers only the person who applies it (else 5)."""
    claimed = s.acting_email()
    if email_key(change.target) != email_key(claimed):
        said = _(
            "this plan registers %(email)s, but you are %(actor)s: a plan registers only the"
            " person who applies it"
        ) % {"email": change.target, "actor": claimed}
        raise Forbidden(f"{where}: {said}" if where else said)


def _execute_account(
    s: Session,
    slug: str,
    changes: list[Change],
    mine: Collection[str],
    progress: Callable[[int], None] | None,
) -> None:
    acct = s.account_by_slug(slug)
    if acct is not None:
        owned(s, acct, mine, s.actor().email)
    for batch in _batches(changes):
        acct = _run(s, slug, acct, batch)
        if progress:
            progress(len(batch))


def _batches(changes: list[Change]) -> Iterator[list[Change]]:
    """The changes in order, consecutive ones of a kind made in bulk (profiles to create;
    invitations, new or again) in one batch, every other change alone."""
    i = 0
    while i < len(changes):
        group = _BULK.get(changes[i].kind)
        j = i + 1
        if group is not None:
            while j < len(changes) and _BULK.get(changes[j].kind) == group:
                j += 1
        yield changes[i:j]
        i = j


_BULK = {"create-profile": "profiles", "invite": "invitations", "reinvite": "invitations"}


def _run(s: Session, slug: str, acct: Account | None, batch: list[Change]) -> Account:
    """One batch of one account's changes; the account as it is afterwards."""
    kind, change = batch[0].kind, batch[0]
    if kind == "create-account":
        tax = change.after["tax_id"]
        name = change.after["name"]
        return accounts.create_row_in(
            s, slug, name, (tax["country"], tax["number"]) if tax else None
        )
    if acct is None:
        from colabctl.core.session import no_account

        raise no_account(slug)
    if kind in GATED and not acct.legal_entity:
        raise access.not_legal_entity(acct.slug)
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise Invalid(_("unknown change kind %(kind)s") % {"kind": quoted(kind)})
    handler(s, acct, batch)
    return s.get_account(slug) if kind in ("rename-account", "set-tax-id") else acct


def _create_profiles(s: Session, acct: Account, batch: list[Change]) -> None:
    new = [
        profiles.NewProfile(
            c.target,
            list(c.after["permissions"]),
            c.after["description"],
            c.after.get("title"),
            {"preset": c.after.get("preset")},
        )
        for c in batch
    ]
    profiles.create_many_in(s, acct, new)


def _invite(s: Session, acct: Account, batch: list[Change]) -> None:
    invitations = [
        collaborators.Invitation(
            c.target,
            c.after["profile"],
            timedelta(seconds=c.after["expires_in"]),
            _moment(c.after.get("access_until")),
        )
        for c in batch
    ]
    collaborators.invite_many_in(s, acct, invitations)


def _change_profile(s: Session, acct: Account, batch: list[Change]) -> None:
    (change,) = batch
    description = change.after["description"]
    if description == change.before["description"]:
        description = None
    profiles.edit_in(
        s, acct, change.target, change.after["added"], change.after["removed"], description
    )


def _one(run: Callable[[Session, Account, Change], object]) -> _Handler:
    """A handler for a change made alone."""

    def handle(s: Session, acct: Account, batch: list[Change]) -> None:
        (change,) = batch
        run(s, acct, change)

    return handle


_Handler = Callable[[Session, Account, list[Change]], None]
_HANDLERS: dict[str, _Handler] = {
    "rename-account": _one(lambda s, a, c: accounts.rename_in(s, a, c.after)),
    "set-tax-id": _one(
        lambda s, a, c: accounts.set_tax_id_in(s, a, (c.after["country"], c.after["number"]))
    ),
    "create-profile": _create_profiles,
    "change-profile": _change_profile,
    "invite": _invite,
    "reinvite": _invite,
    "set-profile": _one(lambda s, a, c: collaborators.set_profile_in(s, a, c.target, c.after)),
    "set-access-until": _one(
        lambda s, a, c: collaborators.set_access_until_in(s, a, c.target, _moment(c.after))
    ),
    "renew": _one(
        lambda s, a, c: collaborators.renew_in(
            s, a, c.target, timedelta(seconds=c.after["expires_in"])
        )
    ),
    "remove": _one(lambda s, a, c: collaborators.remove_in(s, a, c.target)),
    "delete-profile": _one(lambda s, a, c: profiles.delete_in(s, a, c.target)),
}


def _moment(stored: str | None) -> datetime | None:
    """A stored timestamp (2027-03-31T23:59:59Z) as the datetime the mutations take."""
    if stored is None:
        return None
    return datetime.fromisoformat(stored.replace("Z", "+00:00"))
