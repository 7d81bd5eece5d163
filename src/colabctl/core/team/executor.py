"""Applying a plan: each change through the mutation's own in-transaction form
(`*_in`, `*_many_in`), the very code the one-at-a-time commands run, inside the caller's
one BEGIN IMMEDIATE transaction, each writing its audit row tagged with one apply id."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from colabctl.core import access, accounts, collaborators, profiles
from colabctl.core.names import quoted
from colabctl.core.session import Account, Session
from colabctl.core.team.model import Change
from colabctl.core.team.planner import owned
from colabctl.errors import Invalid


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
        owned(acct, actor, s)
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
