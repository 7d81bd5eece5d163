"""invite, accept, decline, collaborator ..., invitation ..."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import (
    AccountOpt,
    ExpiresOpt,
    JsonOpt,
    command,
    complete_invitations,
    complete_people,
    complete_profiles,
    context,
    examples,
)
from colabctl.core import collaborators
from colabctl.core.clock import parse_duration
from colabctl.i18n import N_, _, language

app = typer.Typer()
collaborator_app = typer.Typer(no_args_is_help=True, help="The people invited to an account.")
invitation_app = typer.Typer(
    no_args_is_help=True, help="Invitations: give a pending or expired one a new expiry."
)

EmailArg = Annotated[
    str, typer.Argument(help="The collaborator's email.", autocompletion=complete_people)
]
SlugArg = Annotated[
    str,
    typer.Argument(help="The account you were invited to.", autocompletion=complete_invitations),
]
UNTIL_HELP = N_(
    "When access ends: an ISO date (the end of that day, UTC), an ISO date-time,"
    " or a duration from now (30d, 12h). Default: never."
)
WHEN_HELP = N_(
    "When access ends: an ISO date (the end of that day, UTC), an ISO date-time,"
    " or a duration from now (30d, 12h); or never."
)


def _done(outcome: collaborators.Outcome) -> None:
    output.say(outcome.message)


@command(
    app,
    epilog=examples(
        "colabctl invite gabi.nunes@example.com --profile soporte",
        "colabctl invite gabi.nunes@example.com -p financiero --expires-in 48h",
    ),
)
def invite(
    email: EmailArg,
    profile: Annotated[
        str,
        typer.Option(
            "--profile", "-p", help="The profile to give.", autocompletion=complete_profiles
        ),
    ],
    expires_in: ExpiresOpt = "7d",
    access_until: Annotated[
        str | None,
        typer.Option("--access-until", help=UNTIL_HELP, show_default=False),
    ] = None,
    account: AccountOpt = None,
) -> None:
    """Invite EMAIL into a profile (owner only; legal entities only)."""
    _done(
        collaborators.invite(
            context(),
            email,
            profile=profile,
            expires_in=parse_duration(expires_in),
            access_until=access_until,
            account=account,
        )
    )


@command(
    app,
    epilog=examples("colabctl --as elena.prado@example.com accept acme-cursos"),
)
def accept(slug: SlugArg) -> None:
    """Accept your pending invitation to SLUG."""
    _done(collaborators.accept(context(), slug))


@command(
    app,
    epilog=examples("colabctl --as elena.prado@example.com decline acme-cursos"),
)
def decline(slug: SlugArg) -> None:
    """Decline your pending invitation to SLUG."""
    _done(collaborators.decline(context(), slug))


@command(
    collaborator_app,
    "list",
    epilog=examples(
        "colabctl collaborator list",
        "colabctl collaborator list --status pending --json",
        "colabctl --as carla.mendes@example.com collaborator list -a beta-digital",
    ),
)
def list_(
    status: Annotated[
        str | None,
        typer.Option("--status", help="pending, active, ended, expired, revoked or declined."),
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
        _("Collaborators"),
        ["user", "profile", "status", "invited", "expires", "access until"],
        (
            [
                m.user,
                _profile_cell(m),
                output.status(m.status),
                m.invited_at,
                m.expires_at,
                m.access_until,
            ]
            for m in found
        ),
    )


def _profile_cell(member: collaborators.Membership) -> str:
    """A table's profile cell: the profile, or the name of the deleted one, marked so."""
    if member.profile is None:
        return _("(deleted)")
    if member.profile_deleted:
        return _("%(profile)s (deleted)") % {"profile": member.profile}
    return member.profile


def _standing(member: collaborators.Membership) -> str:
    """One line: who, where, status, profile and, if it ends, until when."""
    profile = member.profile or _("no profile")
    if member.profile_deleted and member.profile is not None:
        profile = _("%(profile)s, a deleted profile") % {"profile": member.profile}
    names = {
        "user": member.user,
        "account": member.account,
        "status": output.status(member.status),
        "profile": profile,
        "until": member.access_until,
    }
    if member.access_until is None:
        return _("%(user)s in %(account)s: %(status)s (%(profile)s)") % names
    if member.status == "ended":
        return (
            _("%(user)s in %(account)s: %(status)s (%(profile)s), access ended on %(until)s")
            % names
        )
    return _("%(user)s in %(account)s: %(status)s (%(profile)s), access until %(until)s") % names


@command(
    collaborator_app,
    "show",
    epilog=examples(
        "colabctl collaborator show bruno.costa@example.com",
        "colabctl collaborator show elena.prado@example.com --json",
    ),
)
def show(email: EmailArg, account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """One collaborator: standing, permissions held, history."""

    shown = collaborators.show(context(), email, account=account)
    if as_json:
        output.emit_json(shown.as_json())
        return
    member, held, history = shown
    output.paragraph(_standing(member))
    output.permission_table(_("What %(user)s can do now") % {"user": member.user}, held, language())
    output.rows(
        _("History"),
        ["profile", "status", "invited", "expires", "responded", "ended", "access until"],
        (
            [
                _profile_cell(h),
                output.status(h.status),
                h.invited_at,
                h.expires_at,
                h.responded_at,
                h.ended_at,
                h.access_until,
            ]
            for h in history
        ),
    )


@command(
    collaborator_app,
    "set-profile",
    epilog=examples("colabctl collaborator set-profile bruno.costa@example.com tecnico"),
)
def set_profile(
    email: EmailArg,
    profile: Annotated[
        str, typer.Argument(help="The new profile.", autocompletion=complete_profiles)
    ],
    account: AccountOpt = None,
) -> None:
    """Move a collaborator to another profile."""
    _done(collaborators.set_profile(context(), email, profile, account=account))


@command(
    collaborator_app,
    "set-access-until",
    epilog=examples(
        "colabctl collaborator set-access-until bruno.costa@example.com 2027-03-31",
        "colabctl collaborator set-access-until bruno.costa@example.com 30d",
        "colabctl collaborator set-access-until bruno.costa@example.com never",
    ),
)
def set_access_until(
    email: EmailArg,
    when: Annotated[str, typer.Argument(help=WHEN_HELP, show_default=False)],
    account: AccountOpt = None,
) -> None:
    """Make a collaborator's access end at WHEN by itself, or never (owner only)."""
    _done(collaborators.set_access_until(context(), email, when, account=account))


@command(
    collaborator_app,
    "remove",
    epilog=examples("colabctl collaborator remove bruno.costa@example.com"),
)
def remove(email: EmailArg, account: AccountOpt = None) -> None:
    """Remove a collaborator (revokes; history is kept)."""
    _done(collaborators.remove(context(), email, account=account))


@command(
    invitation_app,
    "renew",
    epilog=examples(
        "colabctl invitation renew elena.prado@example.com",
        "colabctl invitation renew elena.prado@example.com --expires-in 30d",
    ),
)
def renew(email: EmailArg, expires_in: ExpiresOpt = "7d", account: AccountOpt = None) -> None:
    """Give a pending or expired invitation a new expiry."""
    _done(
        collaborators.renew(
            context(), email, expires_in=parse_duration(expires_in), account=account
        )
    )
