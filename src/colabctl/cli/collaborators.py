"""invite, accept, decline, collaborator ..., invitation ..."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import AccountOpt, ExpiresOpt, JsonOpt, LangOpt, command, context
from colabctl.core import collaborators
from colabctl.core.clock import parse_duration

app = typer.Typer()
collaborator_app = typer.Typer(no_args_is_help=True, help="The people invited to an account.")
invitation_app = typer.Typer(no_args_is_help=True, help="Invitations.")

EmailArg = Annotated[str, typer.Argument(help="The collaborator's email.")]
SlugArg = Annotated[str, typer.Argument(help="The account you were invited to.")]


def _done(outcome: collaborators.Outcome) -> None:
    output.say(outcome.message)


@command(app)
def invite(
    email: EmailArg,
    profile: Annotated[str, typer.Option("--profile", "-p", help="The profile to give.")],
    expires_in: ExpiresOpt = "7d",
    account: AccountOpt = None,
) -> None:
    """Invite EMAIL into a profile (owner only; legal entities only)."""
    _done(
        collaborators.invite(
            context(),
            email,
            profile=profile,
            expires_in=parse_duration(expires_in),
            account=account,
        )
    )


@command(app)
def accept(slug: SlugArg) -> None:
    """Accept your pending invitation to SLUG."""
    _done(collaborators.accept(context(), slug))


@command(app)
def decline(slug: SlugArg) -> None:
    """Decline your pending invitation to SLUG."""
    _done(collaborators.decline(context(), slug))


@command(collaborator_app, "list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, active, expired, revoked or declined.")
    ] = None,
    account: AccountOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Everyone ever invited to the account (every status unless --status)."""
    found = collaborators.list_members(context(), status=status, account=account)
    if as_json:
        output.emit_json([m.as_json() for m in found])
        return
    output.rows(
        "Collaborators",
        ["user", "profile", "status", "invited", "expires"],
        ([m.user, m.profile or "(deleted)", m.status, m.invited_at, m.expires_at] for m in found),
    )


@command(collaborator_app, "show")
def show(
    email: EmailArg, account: AccountOpt = None, as_json: JsonOpt = False, lang: LangOpt = None
) -> None:
    """One collaborator: standing, permissions held, history."""

    member, held, history = collaborators.show(context(), email, account=account)
    if as_json:
        output.emit_json(
            {
                **member.as_json(),
                "name": member.name,
                "permissions": held,
                "history": [h.as_json() for h in history],
            }
        )
        return
    output.emit_line(
        f"{member.user} in {member.account}: {member.status} ({member.profile or 'no profile'})"
    )
    output.permission_table(f"What {member.user} can do now", held, output.use_lang(lang))
    output.rows(
        "History",
        ["profile", "status", "invited", "expires", "responded", "ended"],
        (
            [
                h.profile or "(deleted)",
                h.status,
                h.invited_at,
                h.expires_at,
                h.responded_at,
                h.ended_at,
            ]
            for h in history
        ),
    )


@command(collaborator_app, "set-profile")
def set_profile(
    email: EmailArg,
    profile: Annotated[str, typer.Argument(help="The new profile.")],
    account: AccountOpt = None,
) -> None:
    """Move a collaborator to another profile."""
    _done(collaborators.set_profile(context(), email, profile, account=account))


@command(collaborator_app, "remove")
def remove(email: EmailArg, account: AccountOpt = None) -> None:
    """Remove a collaborator (revokes; history is kept)."""
    _done(collaborators.remove(context(), email, account=account))


@command(invitation_app, "renew")
def renew(email: EmailArg, expires_in: ExpiresOpt = "7d", account: AccountOpt = None) -> None:
    """Give a pending or expired invitation a new expiry."""
    _done(
        collaborators.renew(
            context(), email, expires_in=parse_duration(expires_in), account=account
        )
    )
