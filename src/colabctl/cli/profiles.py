"""permissions, preset ..., profile ..."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from colabctl.cli import output
from colabctl.cli.common import (
    AccountOpt,
    JsonOpt,
    command,
    complete_categories,
    complete_permissions,
    complete_presets,
    complete_profiles,
    context,
    examples,
    exclusive,
)
from colabctl.core import profiles
from colabctl.core.catalog import catalog
from colabctl.i18n import _, language, ngettext

app = typer.Typer()
preset_app = typer.Typer(no_args_is_help=True, help="The shipped profile templates.")
profile_app = typer.Typer(
    no_args_is_help=True, help="Profiles: named sets of permissions in an account."
)

NameArg = Annotated[
    str, typer.Argument(help="Profile name, e.g. soporte.", autocompletion=complete_profiles)
]
PresetArg = Annotated[
    str, typer.Argument(help="Preset name, e.g. soporte.", autocompletion=complete_presets)
]
PermsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--perm",
        help="A permission id or label (repeatable).",
        autocompletion=complete_permissions,
    ),
]


@command(
    app,
    epilog=examples(
        "colabctl permissions",
        "colabctl permissions --category purchases --lang es",
        "colabctl permissions --json",
    ),
)
def permissions(
    category: Annotated[
        str | None,
        typer.Option("--category", help="Only this category.", autocompletion=complete_categories),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The permission catalog."""
    lang = language()
    cat = catalog()
    perms = cat.permissions
    if category is not None:
        wanted = cat.category(category).id
        perms = [p for p in perms if p.category == wanted]
    if as_json:
        output.emit_json([p.as_json(lang) for p in perms])
        return
    output.permission_table(
        _("Permissions (catalog v%(version)s)") % {"version": cat.version},
        [p.id for p in perms],
        lang,
    )
    output.say(_("owner-only permissions belong to the account's owner and cannot be delegated"))


@command(
    preset_app,
    "list",
    epilog=examples("colabctl preset list", "colabctl preset list --lang pt --json"),
)
def preset_list(as_json: JsonOpt = False) -> None:
    """The presets in profiles/."""
    from colabctl.core.presets import list_presets

    lang = language()
    found = list_presets()
    if as_json:
        output.emit_json([p.as_json() for p in found])
        return
    output.rows(
        _("Presets"),
        [
            "name",
            ("title", "text"),
            ("permissions", "right"),
            ("description", "text"),
        ],
        (
            [p.name, p.title.get(lang, ""), len(p.permissions), p.description_in(lang)]
            for p in found
        ),
    )


@command(
    preset_app,
    "show",
    epilog=examples(
        "colabctl preset show soporte",
        "colabctl preset show gerente-afiliados --lang es --json",
    ),
)
def preset_show(name: PresetArg, as_json: JsonOpt = False) -> None:
    """One preset and its permissions."""
    from colabctl.core.presets import find_preset

    preset = find_preset(name)
    if as_json:
        output.emit_json(preset.as_json())
        return
    lang = language()
    title = preset.title.get(lang, "")
    output.paragraph(f"{preset.name}: {title}. {preset.description_in(lang)}")
    output.permission_table(_("Preset %(name)s") % {"name": preset.name}, preset.permissions, lang)


@command(
    profile_app,
    "create",
    epilog=examples(
        "colabctl profile create atendimento --preset soporte",
        'colabctl profile create reembolsos --perm "Solicitar Reembolsos"',
        "colabctl profile create vendas --preset soporte --perm reports.commissions",
    ),
)
def create(
    ctx: typer.Context,
    name: NameArg,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="Start from a preset.", autocompletion=complete_presets),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Start from a TOML file (a preset or an export).")
    ] = None,
    perm: PermsOpt = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    account: AccountOpt = None,
) -> None:
    """Create a profile (owner only; the account must be a legal entity)."""
    exclusive(ctx, ("--preset", preset), ("--from", from_file), why=_("--perm adds to either"))
    view = profiles.create(
        context(),
        name,
        preset=preset,
        from_file=from_file,
        perms=perm or [],
        description=description,
        account=account,
    )
    output.say(
        ngettext(
            "created profile %(name)s in %(account)s with %(count)d permission",
            "created profile %(name)s in %(account)s with %(count)d permissions",
            len(view.permissions),
        )
        % {"name": view.name, "account": view.account, "count": len(view.permissions)}
    )
    _warn_pairs(view.name, view.permissions)


def _warn_pairs(name: str, ids: list[str]) -> None:
    """A warning per separation-of-duties pair the profile holds (docs/review.md)."""
    from colabctl.core.sod import forbidden_pairs

    for rule in forbidden_pairs(ids):
        first, second = rule.permissions
        output.warn(
            _(
                "profile %(name)s holds both %(first)s and %(second)s, which the"
                " separation-of-duties rule %(rule)s keeps apart: `colabctl review` reports"
                " everyone who holds it"
            )
            % {"name": name, "first": first, "second": second, "rule": rule.name}
        )


@command(
    profile_app,
    "list",
    epilog=examples("colabctl profile list", "colabctl profile list -a acme-cursos --json"),
)
def list_(account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """The account's profiles."""
    found = profiles.list_profiles(context(), account)
    if as_json:
        output.emit_json([p.as_json() for p in found])
        return
    output.rows(
        _("Profiles"),
        [
            "profile",
            ("permissions", "right"),
            ("active", "right"),
            ("pending", "right"),
            ("description", "text"),
        ],
        ([p.name, p.permissions, p.active, p.pending, p.description] for p in found),
    )


@command(
    profile_app,
    "show",
    epilog=examples(
        "colabctl profile show soporte",
        "colabctl profile show financiero --lang pt --json",
        "colabctl --as bruno.costa@example.com profile show soporte",
    ),
)
def show(name: NameArg, account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """One profile: its permissions, who holds it and who is still assigned to it."""
    view = profiles.show(context(), name, account)
    if as_json:
        output.emit_json(view.as_json())
        return
    output.paragraph(f"{view.name} ({view.account}): {view.description}")
    output.permission_table(
        _("Profile %(name)s") % {"name": view.name}, view.permissions, language()
    )
    if view.collaborators:
        output.paragraph(_("held by: %(people)s") % {"people": ", ".join(view.collaborators)})
    else:
        output.paragraph(_("held by nobody"))
    if view.assigned:
        people = ", ".join(
            _("%(email)s (%(status)s)") % {"email": email, "status": output.status(now)}
            for email, now in view.assigned
        )
        output.paragraph(
            _("still assigned, their access expired or ended: %(people)s") % {"people": people}
        )
    else:
        output.paragraph(_("nobody else is assigned to it"))


@command(
    profile_app,
    "edit",
    epilog=examples(
        "colabctl profile edit soporte --remove purchases.change_buyer_email",
        'colabctl profile edit soporte --add "Ver Informe de Comisiones"',
        'colabctl profile edit tecnico --description "Checkout and integrations"',
    ),
)
def edit(
    name: NameArg,
    add: Annotated[
        list[str] | None,
        typer.Option("--add", help="Permission to add.", autocompletion=complete_permissions),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", help="Permission to remove.", autocompletion=complete_permissions),
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    account: AccountOpt = None,
) -> None:
    """Change a profile: every collaborator holding it changes at once."""
    change = profiles.edit(
        context(),
        name,
        add=add or [],
        remove=remove or [],
        description=description,
        account=account,
    )
    for note in change.notes:
        output.warn(note)
    _warn_pairs(name, change.profile.permissions)
    if change.changed:
        holders = len(change.profile.collaborators)
        names = {"name": name, "count": len(change.profile.permissions), "holders": holders}
        output.say(
            ngettext(
                "updated %(name)s: %(count)d permissions, %(holders)d collaborator affected",
                "updated %(name)s: %(count)d permissions, %(holders)d collaborators affected",
                holders,
            )
            % names
        )
    else:
        output.say(_("%(name)s unchanged") % {"name": name})


@command(
    profile_app,
    "delete",
    epilog=examples(
        "colabctl profile delete soporte --reassign tecnico",
        "colabctl profile delete gerente-afiliados --reassign soporte",
    ),
)
def delete(
    name: NameArg,
    reassign: Annotated[
        str | None,
        typer.Option(
            "--reassign",
            help="Move its collaborators to this profile first.",
            autocompletion=complete_profiles,
        ),
    ] = None,
    account: AccountOpt = None,
) -> None:
    """Delete a profile (held or assigned ones need --reassign OTHER)."""
    moved = profiles.delete(context(), name, reassign=reassign, account=account)
    if moved:
        output.say(
            ngettext(
                "deleted %(name)s; moved %(count)d collaborator to %(other)s",
                "deleted %(name)s; moved %(count)d collaborators to %(other)s",
                len(moved),
            )
            % {"name": name, "count": len(moved), "other": reassign}
        )
    else:
        output.say(_("deleted %(name)s") % {"name": name})


@command(
    profile_app,
    "export",
    epilog=examples(
        "colabctl profile export soporte",
        "colabctl profile export soporte -o soporte.toml",
    ),
)
def export(
    name: NameArg,
    out: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE, atomically (default, or -: stdout)."),
    ] = None,
    account: AccountOpt = None,
) -> None:
    """Write a profile as preset TOML, loadable by `profile create --from`."""
    from colabctl.core.presets import dump_preset

    text = dump_preset(profiles.export(context(), name, account))
    if out is None:
        output.emit_data(text)
    elif str(out) == "-":
        output.write_output(out, text, store=None)
    else:
        output.write_output(out, text, store=context().store_file())
        output.say(_("wrote %(file)s") % {"file": out})
