"""demo: build a sample store and show it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import command, examples
from colabctl.i18n import _, language

if TYPE_CHECKING:
    from colabctl.core.demo import Demo

app = typer.Typer()


@command(
    app,
    epilog=examples(
        "colabctl demo",
        "colabctl demo --db team.db && colabctl --db team.db matrix",
    ),
)
def demo(
    db: Annotated[
        str,
        typer.Option(
            "--db",
            help="The SQLite file to build it in (recreated); its sample policy tests go in"
            " demo-policy/ beside it.",
        ),
    ] = "colabctl-demo.db",
) -> None:
    """Build a sample store (an owner, a legal entity, the four presets, a team) and show it."""
    from colabctl.cli import common  # its CLOCK: the one every command reads
    from colabctl.core import demo

    built = demo.build(db, clock=common.CLOCK)
    output.say(
        _("built %(file)s: %(account)s (owned by %(owner)s) and %(second)s")
        % {
            "file": db,
            "account": built.account,
            "owner": built.owner,
            "second": built.second_account,
        }
    )
    output.say(_("wrote sample policy tests in %(folder)s/") % {"folder": built.policy})
    _show(db, built)
    _try_next(db, built)


def _show(db: str, built: Demo) -> None:
    """The demo store as its owner sees it (profiles, collaborators, the matrix), and
    the shared collaborator's `whoami`."""
    from colabctl.cli import common  # its CLOCK: the one every command reads
    from colabctl.core import access, collaborators, profiles, users
    from colabctl.core.session import Context

    owner = Context(db=str(db), actor=built.owner, clock=common.CLOCK)
    output.rows(
        _("Profiles in %(account)s") % {"account": built.account},
        ["profile", ("permissions", "right"), ("active", "right"), ("pending", "right")],
        (
            [p.name, p.permissions, p.active, p.pending]
            for p in profiles.list_profiles(owner, built.account)
        ),
    )
    output.rows(
        _("Collaborators of %(account)s") % {"account": built.account},
        ["user", "profile", "status", "expires"],
        (
            [m.user, m.profile, output.status(m.status), m.expires_at]
            for m in collaborators.list_members(owner, account=built.account)
        ),
    )
    output.matrix_table(access.matrix(owner, account=built.account), language(), by_category=True)
    shared = users.whoami(Context(db=str(db), actor=built.shared, clock=common.CLOCK))
    output.rows(
        _("whoami, as %(user)s") % {"user": built.shared},
        ["account", ("name", "text"), "role"],
        ([a.slug, a.name, output.role(a.role)] for a in shared.accounts),
    )


def _try_next(db: str, built: Demo) -> None:
    """Commands to paste next, on the demo store."""
    output.emit_line("")
    output.emit_line(_("Try next:"))
    for line in (
        f"export COLABCTL_DB={db} COLABCTL_USER={built.owner}",
        f"colabctl matrix -a {built.account}",
        f"colabctl can bruno.costa@example.com purchases.request_refunds -a {built.account}"
        " --explain",
        # an edit reaches everyone holding the profile at once: Bruno holds soporte
        f"colabctl profile edit soporte --remove purchases.request_refunds -a {built.account}",
        f"colabctl can bruno.costa@example.com purchases.request_refunds -a {built.account}",
        f"colabctl can bruno.costa@example.com withdrawal.withdraw -a {built.account} --explain",
        f"colabctl who-can 'Solicitar Reembolsos' -a {built.account}",
        f"colabctl --as {built.shared} whoami",
        f"colabctl audit log -a {built.account}",
        f"colabctl test {built.policy}/",
    ):
        output.emit_line(f"  {line}")
