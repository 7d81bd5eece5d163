"""`colabctl review` and `review ack`: the access review (docs/review.md)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import AccountOpt, JsonOpt, command, context, examples, exclusive
from colabctl.cli.output import handled
from colabctl.errors import ExitCode
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.core.review import Finding


class Level(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Separation-of-duties rules (a TOML file of sod tables) replacing the shipped ones.",
        show_default=False,
        dir_okay=False,
    ),
]

REVIEW_EPILOG = examples(
    "colabctl review -a acme-cursos",
    "colabctl review --all-accounts --fail-on high",
    "colabctl review -a acme-cursos --json",
    "colabctl review -a acme-cursos --fail-on medium  # no: high-risk holders",
)

ACK_EPILOG = examples(
    'colabctl review ack b97b4cba70a2 --reason "support issues refunds"',
    'colabctl review ack b97b4cba70a2 --reason "agreed" -a acme-cursos',
)

app = typer.Typer(
    invoke_without_command=True,
    help="Review who holds what: conflicts, risky holders, stale invitations.",
)


@app.callback(epilog=REVIEW_EPILOG)
def review(
    ctx: typer.Context,
    account: AccountOpt = None,
    all_accounts: Annotated[
        bool, typer.Option("--all-accounts", help="Every account you own.")
    ] = False,
    rules: RulesOpt = None,
    fail_on: Annotated[
        Level | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an open finding is at or above this severity.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Review an account's access (owner only).

    Findings: separation-of-duties conflicts, high-risk holders, broad and unused
    profiles, stale and expired invitations, access about to end. `review ack ID
    --reason TEXT` accepts one."""
    if ctx.invoked_subcommand is not None:
        return
    # a usage error (2): raised outside the error mapping
    exclusive(ctx, ("--account", account), ("--all-accounts", all_accounts))
    _review(account, all_accounts, rules, fail_on, as_json)


@handled
def _review(
    account: str | None,
    all_accounts: bool,
    rules: Path | None,
    fail_on: Level | None,
    as_json: bool,
) -> None:
    from colabctl.core import review as core
    from colabctl.core.sod import SEVERITIES

    found = core.review(context(), account=account, all_accounts=all_accounts, rules=rules)
    if as_json:
        output.emit_json(core.Review(found).as_json())
    else:
        _report(found)
    if fail_on is not None:
        bar = SEVERITIES.index(fail_on.value)
        if any(f.open and SEVERITIES.index(f.severity) <= bar for f in found):
            raise typer.Exit(ExitCode.NO)


def _report(found: list[Finding]) -> None:
    from colabctl.core.sod import SEVERITIES

    if not found:
        output.say(_("no findings"))
        return
    for severity in SEVERITIES:
        mine = [f for f in found if f.severity == severity]
        if not mine:
            continue
        output.rows(
            f"{output.level(severity)} ({len(mine)})",
            [
                "id",
                "kind",
                "account",
                "subject",
                ("finding", "text"),
                ("status", "text"),
            ],
            ([f.id, f.kind, f.account, f.subject, f.message, _status(f)] for f in mine),
        )
    opened = [f for f in found if f.open]
    counts = ", ".join(
        _("%(count)d %(level)s")
        % {"count": sum(f.severity == s for f in opened), "level": output.level(s)}
        for s in SEVERITIES
        if any(f.severity == s for f in opened)
    )
    names = {"open": len(opened), "counts": counts, "acknowledged": len(found) - len(opened)}
    if counts:
        output.emit_line(_("%(open)d open (%(counts)s), %(acknowledged)d acknowledged") % names)
    else:
        output.emit_line(_("%(open)d open, %(acknowledged)d acknowledged") % names)


def _status(f: Finding) -> str:
    if f.ack is not None:
        return _("acknowledged by %(user)s at %(at)s: %(reason)s") % {
            "user": f.ack.by,
            "at": f.ack.at,
            "reason": f.ack.reason,
        }
    if f.reopened is not None:
        return _("open (reopened: changed since %(user)s acknowledged it)") % {
            "user": f.reopened.by
        }
    return _("open")


@command(app, "ack", epilog=ACK_EPILOG)
def ack(
    finding: Annotated[str, typer.Argument(help="The finding's id, as `review` shows it.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why this is accepted (kept in the audit log).")
    ],
    rules: RulesOpt = None,
    account: AccountOpt = None,
) -> None:
    """Accept a finding (owner only), recorded in the audit log.

    It stays acknowledged until its subject changes (the person's profile, the
    profile's permissions); then it is open again."""
    from colabctl.core import review as core

    done, written = core.ack(context(), finding, reason=reason, rules=rules, account=account)
    if written:
        output.say(
            _("acknowledged %(id)s (%(kind)s, %(account)s %(subject)s)")
            % {"id": done.id, "kind": done.kind, "account": done.account, "subject": done.subject}
        )
    else:
        assert done.ack is not None
        output.say(
            _("%(id)s is already acknowledged by %(user)s at %(at)s: nothing to do")
            % {"id": done.id, "user": done.ack.by, "at": done.ack.at}
        )
