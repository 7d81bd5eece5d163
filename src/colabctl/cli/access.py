"""can, who-can, matrix: who can do what, from the one decision function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import (
    AccountOpt,
    JsonOpt,
    command,
    complete_people,
    complete_permissions,
    context,
    examples,
    exclusive,
)
from colabctl.core import access
from colabctl.errors import ExitCode
from colabctl.i18n import N_, _, language

if TYPE_CHECKING:
    from colabctl.core.catalog import Permission

app = typer.Typer()


# Why, per reason of `can --json` (docs/json.md); any other reason is a profile's grant.
_WHY = {
    "owner": N_("%(user)s owns %(account)s"),
    "owner-only": N_("only the owner holds it"),
    "not-a-collaborator": N_("%(user)s is not a collaborator of %(account)s"),
    "invitation-pending": N_("invitation pending since %(invited_at)s (expires %(expires_at)s)"),
    "invitation-expired": N_("invitation expired on %(expires_at)s"),
    "invitation-declined": N_("invitation declined on %(ended_at)s"),
    "revoked": N_("removed from %(account)s on %(ended_at)s"),
    "access-ended": N_("access to %(account)s ended on %(access_until)s (profile %(profile)s)"),
    "unknown-account": N_("there is no account %(account)s"),
    "not-granted": N_("profile %(profile)s does not grant it"),
}


def _explain(result: tuple[Permission, bool, str], standing: access.Standing, account: str) -> str:
    perm, allowed, reason = result
    names = {
        "user": standing.user,
        "account": account,
        "invited_at": standing.invited_at,
        "expires_at": standing.expires_at,
        "ended_at": standing.ended_at,
        "access_until": standing.access_until,
        "profile": standing.profile,
    }
    why = _(_WHY.get(reason, N_("granted by profile %(profile)s"))) % names
    # the verdict is the line above; each permission gets a mark, not a second "yes"
    return f"  {output.mark(allowed)} {perm.id}: {why}"


@command(
    app,
    epilog=examples(
        "colabctl can bruno.costa@example.com purchases.request_refunds",
        "colabctl can bruno.costa@example.com withdrawal.withdraw --explain  # no",
        'colabctl can -q diego.rocha@example.com "Retirar" -a acme-cursos',
        "colabctl can elena.prado@example.com products.view --json  # no",
        "colabctl can bruno.costa@example.com products.view receipts.send --any",
    ),
)
def can(
    ctx: typer.Context,
    email: Annotated[
        str | None,
        typer.Argument(
            help="Whose access to check.", show_default=False, autocompletion=complete_people
        ),
    ] = None,
    permissions: Annotated[
        list[str] | None,
        typer.Argument(
            help="Permission ids or labels.",
            show_default=False,
            autocompletion=complete_permissions,
        ),
    ] = None,
    account: AccountOpt = None,
    any_: Annotated[bool, typer.Option("--any", help="Yes if any one is held.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; answer with the exit code.")
    ] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Say why, per permission.")] = False,
    as_json: JsonOpt = False,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            help="JSON lines FILE (or - for stdin) of {user, account, permission}.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Can EMAIL do PERMISSION...? Exit 0 yes, 1 no."""
    if batch is not None:
        # each line names its own user, account and permission, and gets a JSON answer
        exclusive(
            ctx,
            ("--batch", batch),
            ("EMAIL", email),
            ("--account", account),
            ("--any", any_),
            ("--quiet", quiet),
            ("--explain", explain),
            why=_("each input line names its own user, account and permission"),
        )
        _batch(batch)
        return
    if email is None or not permissions:
        ctx.fail(_("give EMAIL and at least one PERMISSION (or --batch FILE)"))
    answer = access.can(context(), email, permissions, account=account, any_=any_)
    if as_json:
        output.emit_json(answer.as_json())
    elif not quiet:
        output.emit_line(output.yes_no(answer.allowed))
        if explain:
            for result in answer.results:
                output.emit_line(_explain(result, answer.standing, answer.account))
    if not answer.allowed:
        raise typer.Exit(ExitCode.NO)


def _batch(source: str) -> None:
    from colabctl.errors import Invalid

    # Read as bytes, line by line: undecodable bytes become lone surrogates, so that one
    # bad line (or one longer than 64 KB) gets its own error line while the
    # others are still answered.
    try:
        raw = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    except OSError as exc:
        raise Invalid(
            _("%(file)s: cannot read: %(reason)s") % {"file": source, "reason": exc.strerror}
        ) from exc
    worst = 0
    emit = output.json_lines()
    with raw:
        # typed at a terminal: each answer before the next line is read
        chunk = 1 if raw.isatty() else access.BATCH_CHUNK
        lines = access.batch_lines(raw)
        for line, code in access.batch(context(), lines, chunk=chunk):
            emit(line.as_json())
            worst = max(worst, code)
    if worst:
        output.say(
            "error: " + _("some lines could not be answered (exit %(code)d)") % {"code": worst}
        )
        raise typer.Exit(worst)


@command(
    app,
    "who-can",
    epilog=examples(
        "colabctl who-can purchases.request_refunds",
        'colabctl who-can "Solicitar Reembolsos" --json',
        "colabctl --as carla.mendes@example.com who-can products.view --all-accounts",
    ),
)
def who_can(
    ctx: typer.Context,
    permission: Annotated[
        str,
        typer.Argument(help="A permission id or label.", autocompletion=complete_permissions),
    ],
    account: AccountOpt = None,
    all_accounts: Annotated[
        bool, typer.Option("--all-accounts", help="Every account you can see.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Who holds PERMISSION."""
    exclusive(ctx, ("--account", account), ("--all-accounts", all_accounts))
    found = access.who_can(context(), permission, account=account, all_accounts=all_accounts)
    if as_json:
        output.emit_json([f.as_json() for f in found])
        return
    output.rows(
        _("Who can %(permission)s") % {"permission": permission},
        ["user", "account", "role"],
        ([f.user, f.account, output.role(f.role)] for f in found),
        empty=_("nobody"),
    )


@command(
    app,
    epilog=examples(
        "colabctl matrix",
        "colabctl matrix --by-category --lang es",
        "colabctl matrix -a acme-cursos --json",
    ),
)
def matrix(
    account: AccountOpt = None,
    by_category: Annotated[bool, typer.Option("--by-category", help="n/m per category.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Who can do what: permissions down, people across."""

    grid = access.matrix(context(), account=account)
    if as_json:
        output.emit_json(grid.as_json())
        return
    output.matrix_table(grid, language(), by_category=by_category)
