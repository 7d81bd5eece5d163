"""The scratch store of `colabctl test --team` (docs/policy-tests.md, "The two worlds"): a
temporary store built from a team file alone, never the user's store, which the tests
then judge as if it were live.

Each account is owned by its `owner` (else the actor), with its declared profiles and
every declared collaborator active. The file is read and validated by the team-file
reader (core/team/file.py) and written by the mutations' in-transaction forms, so a
scratch store holds exactly what the commands would make of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from colabctl.core.identity import email_key
from colabctl.core.names import quoted
from colabctl.core.session import Account, Context, Session
from colabctl.errors import Invalid
from colabctl.i18n import _
from colabctl.i18n import shown as shown_text

if TYPE_CHECKING:
    from colabctl.core.team.file import AccountSpec, MemberSpec, TeamFile


@contextmanager
def scratch_store(ctx: Context, team_path: Path) -> Iterator[Session]:
    """A read session, as the actor, on a temporary store built from the team file at
    TEAM_PATH; the store is gone once the block ends."""
    import shutil

    from colabctl.core.team.file import read_team_file
    from colabctl.store.db import open_for_write

    team = read_team_file(str(team_path))
    actor = ctx.actor_email()
    folder = Path(tempfile.mkdtemp(prefix="colabctl-test-"))
    try:
        path = folder / "scratch.db"
        store = open_for_write(path)
        try:
            with store.transaction():
                for spec in team.accounts:
                    owner = _owner_of(team, spec, actor)
                    session = Session(Context(str(path), owner, ctx.clock), store, writable=True)
                    _build_account(session, team, spec, owner)
            with store.snapshot():
                yield Session(Context(str(path), actor, ctx.clock), store, writable=False)
        finally:
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _owner_of(team: TeamFile, spec: AccountSpec, actor: str | None) -> str:
    """The account's `owner`, else the actor: someone must own it."""
    from colabctl.core.identity import normalize_email

    if spec.owner is None and not actor:
        raise Invalid(
            _("%(where)s: accounts.%(account)s names no `owner`, and there is no user to own it")
            % {"where": team.where(spec.path), "account": spec.slug},
            hint=_("add `owner = EMAIL` to the account, or pass --as EMAIL"),
        )
    return spec.owner or normalize_email(actor or "")


def _build_account(s: Session, team: TeamFile, spec: AccountSpec, owner: str) -> None:
    """The account of SPEC, owned by OWNER (registered here), with its profiles and its
    collaborators, active."""
    from colabctl.core import accounts, collaborators, profiles
    from colabctl.core.users import register_in

    register_in(s, owner, None)
    accounts.create_in(s, spec.slug, spec.name or spec.slug, spec.tax)
    acct = s.get_account(spec.slug)
    declared = spec.profiles or {}
    profiles.create_many_in(
        s,
        acct,
        [
            profiles.NewProfile(p.name, list(p.permissions), p.description, p.title)
            for p in declared.values()
        ],
    )
    members = list((spec.collaborators or {}).values())
    for member in members:
        _check_member(team, spec, member, owner)
    collaborators.invite_many_in(
        s, acct, [collaborators.Invitation(m.email, m.profile) for m in members]
    )
    _activate(s, team, acct, members)


def _check_member(team: TeamFile, spec: AccountSpec, member: MemberSpec, owner: str) -> None:
    """A collaborator the file alone can make: of a profile it declares, not the owner."""
    where = team.where(member.path)
    if member.profile not in (spec.profiles or {}):
        names = {
            "where": where,
            "profile": quoted(member.profile),
            "account": spec.slug,
            "table": f"[accounts.{spec.slug}.profiles.NAME]",
        }
        raise Invalid(
            _(
                "%(where)s: profile %(profile)s is not declared in"
                " accounts.%(account)s.profiles (the tests judge the file"
                " alone)"
            )
            % names,
            hint=_("declare it under %(table)s") % names,
        )
    if email_key(member.email) == email_key(owner):
        raise Invalid(
            _("%(where)s: %(email)s owns %(account)s")
            % {"where": where, "email": member.email, "account": spec.slug}
        )


def _activate(s: Session, team: TeamFile, acct: Account, members: list[MemberSpec]) -> None:
    """The state the file asks for: every declared collaborator has accepted, with the
    `access_until` it gives them."""
    from datetime import datetime

    from colabctl.core import collaborators

    s.conn.execute(
        "UPDATE memberships SET status = 'active', responded_at = ?"
        " WHERE account_id = ? AND status = 'pending'",
        (s.now_iso, acct.id),
    )
    for member in members:
        if member.access_until is None:
            continue
        until = datetime.fromisoformat(member.access_until)
        try:
            collaborators.set_access_until_in(s, acct, member.email, until)
        except Invalid as exc:
            where = team.where(member.path)
            raise Invalid(f"{where}: {shown_text(exc.message)}") from exc
