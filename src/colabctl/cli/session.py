"""login, logout, whoami, use."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import (
    AccountOpt,
    JsonOpt,
    command,
    complete_accounts,
    context,
    examples,
)
from colabctl.i18n import _, language

app = typer.Typer()


@command(
    app,
    epilog=examples(
        "colabctl login ana.souza@example.com",
        'colabctl login gabi.nunes@example.com --name "Gabi Nunes"',
    ),
)
def login(
    email: Annotated[str, typer.Argument(help="Your email address.")],
    name: Annotated[str | None, typer.Option("--name", help="Your display name.")] = None,
) -> None:
    """Become EMAIL (registering it if new)."""
    from colabctl.core.users import login as do_login

    user, created = do_login(context(), email, name=name)
    if created:
        output.say(_("registered and logged in as %(email)s") % {"email": user.email})
    else:
        output.say(_("logged in as %(email)s") % {"email": user.email})


@command(
    app,
    epilog=examples(
        "colabctl logout",
        "colabctl login ana.souza@example.com && colabctl logout",
    ),
)
def logout() -> None:
    """Forget the logged-in user and the current account."""
    from colabctl.core.users import logout as do_logout

    who = do_logout()
    output.say(_("logged out %(email)s") % {"email": who} if who else _("nobody was logged in"))


@command(
    app,
    epilog=examples(
        "colabctl whoami",
        "colabctl whoami --account acme-cursos",
        "colabctl --as carla.mendes@example.com whoami --json",
    ),
)
def whoami(account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """Who am I: my accounts and invitations; with --account, my role and permissions there."""
    from colabctl.core import users

    if account is not None:
        role = users.whoami_at(context(), account)
        if as_json:
            output.emit_json(role.as_json())
            return
        output.paragraph(
            _("%(user)s in %(account)s: %(role)s")
            % {"user": role.user, "account": role.account, "role": output.role(role.role)}
        )
        output.permission_table(
            _("What %(user)s can do in %(account)s") % {"user": role.user, "account": role.account},
            [p.id for p in role.permissions],
            language(),
        )
        return
    me = users.whoami(context())
    if as_json:
        output.emit_json(me.as_json())
        return
    output.paragraph(me.user.email + (f" ({me.user.name})" if me.user.name else ""))
    output.rows(
        _("Accounts"),
        ["current", "account", ("name", "text"), "role", "access"],
        (
            [
                "*" if a.current else "",
                a.slug,
                a.name,
                output.role(a.role),
                _("until %(at)s") % {"at": a.access_until} if a.access_until else "",
            ]
            for a in me.accounts
        ),
    )
    if me.invitations:
        output.rows(
            _("Pending invitations"),
            ["account", "profile", "invited by", "expires"],
            ([i.account, i.profile, i.invited_by, i.expires_at] for i in me.invitations),
        )
        output.say("hint: " + _("accept one with `colabctl accept SLUG`"))


@command(
    app,
    epilog=examples(
        "colabctl use acme-cursos",
        "colabctl --as carla.mendes@example.com use beta-digital",
    ),
)
def use(
    slug: Annotated[
        str,
        typer.Argument(help="The account to make current.", autocompletion=complete_accounts),
    ],
) -> None:
    """Set the current account (one you own or collaborate on)."""
    from colabctl.core.users import use as do_use

    role = do_use(context(), slug)
    output.say(
        _("now using %(account)s (as %(role)s)") % {"account": slug, "role": output.role(role)}
    )
