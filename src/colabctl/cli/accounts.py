"""account create | set-tax-id | list | show."""

from __future__ import annotations

from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import JsonOpt, command, complete_accounts, context, examples
from colabctl.core import accounts, ownership
from colabctl.i18n import _

app = typer.Typer(
    no_args_is_help=True,
    help="Accounts: create, register a tax ID, list, show, hand over ownership.",
)

SlugArg = Annotated[str, typer.Argument(help="Account slug, e.g. acme-cursos.")]
AccountArg = Annotated[
    str,
    typer.Argument(help="Account slug, e.g. acme-cursos.", autocompletion=complete_accounts),
]
CountryOpt = Annotated[
    str | None, typer.Option("--country", help="Tax ID country: AR BR CL CO ES MX PE PT US.")
]


def _tax_id(view: accounts.AccountView) -> str:
    return f"{view.tax_country} {view.tax_id}" if view.tax_id else "-"


@command(
    app,
    "create",
    epilog=examples(
        'colabctl account create acme-eventos --name "Acme Eventos"',
        "colabctl account create acme-es --name Acme --tax-id B58378431 --country ES",
    ),
)
def create(
    slug: SlugArg,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    tax_id: Annotated[str | None, typer.Option("--tax-id", help="Business tax ID.")] = None,
    country: CountryOpt = None,
) -> None:
    """Create an account you own (a legal entity once it has a business tax ID)."""
    view = accounts.create(context(), slug, name, tax_id=tax_id, country=country)
    if view.tax_id:
        output.say(
            _("created %(account)s, %(country)s %(tax_id)s")
            % {"account": view.slug, "country": view.tax_country, "tax_id": view.tax_id}
        )
    else:
        output.say(_("created %(account)s: add a tax ID to use profiles") % {"account": view.slug})
    if not view.legal_entity:
        output.say(f"hint: `colabctl account set-tax-id {view.slug} ID --country CC`")


@command(
    app,
    "set-tax-id",
    epilog=examples(
        "colabctl account set-tax-id acme-cursos 11.222.333/0001-81 --country BR",
        "colabctl account set-tax-id acme-cursos 11222333000181 --country BR",
    ),
)
def set_tax_id(
    slug: AccountArg,
    number: Annotated[str, typer.Argument(help="The business tax ID.")],
    country: Annotated[str, typer.Option("--country", help="AR BR CL CO ES MX PE PT US.")],
) -> None:
    """Register the account's business tax ID (owner only)."""
    view = accounts.set_tax_id(context(), slug, number, country)
    output.say(
        _("%(account)s is a legal entity: %(country)s %(tax_id)s")
        % {"account": view.slug, "country": view.tax_country, "tax_id": view.tax_id}
    )


@command(
    app,
    "list",
    epilog=examples(
        "colabctl account list",
        "colabctl --as carla.mendes@example.com account list --json",
    ),
)
def list_(as_json: JsonOpt = False) -> None:
    """Accounts I own or collaborate on."""
    found = accounts.list_mine(context())
    if as_json:
        output.emit_json([a.as_json() for a in found])
        return
    output.rows(
        _("Accounts"),
        ["current", "account", ("name", "text"), "role", "tax ID"],
        (
            [
                "*" if a.current else "",
                a.slug,
                a.name,
                output.role(a.role),
                _tax_id(a),
            ]
            for a in found
        ),
    )


@command(
    app,
    "show",
    epilog=examples(
        "colabctl account show acme-cursos",
        "colabctl --as bruno.costa@example.com account show acme-cursos --json",
    ),
)
def show(slug: AccountArg, as_json: JsonOpt = False) -> None:
    """One account: owner, tax ID, counts."""
    view = accounts.show(context(), slug)
    if as_json:
        output.emit_json(view.as_json())
        return
    output.rows(
        _("Account %(account)s") % {"account": view.slug},
        ["field", ("value", "text")],
        [
            [_("name"), view.name],
            [_("owner"), view.owner],
            [_("legal entity"), output.yes_no(view.legal_entity)],
            [_("tax ID"), _tax_id(view)],
            [_("profiles"), view.profiles],
            [_("active collaborators"), view.collaborators],
            [_("your role"), output.role(view.role)],
            *([[_("transfer"), _offer_cell(view.transfer)]] if view.transfer is not None else []),
        ],
    )


def _offer_cell(offer: ownership.Offer) -> str:
    names = {
        "to": offer.to,
        "at": offer.offered_at,
        "until": offer.expires_at,
        "owner": offer.from_,
        "profile": offer.keep_as,
    }
    if offer.keep_as:
        return (
            _("offered to %(to)s on %(at)s, until %(until)s; %(owner)s stays as %(profile)s")
            % names
        )
    return _("offered to %(to)s on %(at)s, until %(until)s") % names


@command(
    app,
    "transfer",
    epilog=examples(
        "colabctl account transfer acme-cursos bruno.costa@example.com",
        "colabctl account transfer acme-cursos bruno.costa@example.com -k soporte",
    ),
)
def transfer(
    slug: SlugArg,
    email: Annotated[str, typer.Argument(help="An active collaborator of the account.")],
    keep_as: Annotated[
        str | None,
        typer.Option(
            "--keep-as",
            "-k",
            help="Stay as a collaborator with this profile once they accept (default: leave).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Offer ownership of SLUG to EMAIL (owner only); it waits 7 days for their acceptance."""
    done = ownership.transfer(context(), slug, email, keep_as=keep_as)
    output.say(done.message)


@command(
    app,
    "accept-transfer",
    epilog=examples(
        "colabctl --as carla.mendes@example.com account accept-transfer beta-digital",
    ),
)
def accept_transfer(slug: SlugArg) -> None:
    """Accept the ownership of SLUG offered to you: you become its owner."""
    done = ownership.accept_transfer(context(), slug)
    output.say(done.message)


@command(
    app,
    "cancel-transfer",
    epilog=examples("colabctl --as fabio.lima@example.com account cancel-transfer beta-digital"),
)
def cancel_transfer(slug: SlugArg) -> None:
    """Withdraw the open ownership offer of SLUG (owner only)."""
    done = ownership.cancel_transfer(context(), slug)
    output.say(done.message)
