"""`export`: the team file of accounts the actor owns."""

from __future__ import annotations

import json
from collections.abc import Sequence

from colabctl.core import access
from colabctl.core.catalog import catalog
from colabctl.core.identity import email_key
from colabctl.core.session import Account, Context, reading
from colabctl.core.team.state import State


def export(ctx: Context, slugs: Sequence[str] = (), *, all_accounts: bool = False) -> str:
    """The team file of accounts the actor owns: ids, descriptions, emails as stored,
    pending and active people; a header with the time and the audit head."""
    from colabctl.store import audit

    with reading(ctx) as s:
        actor = s.actor()
        if all_accounts:
            chosen = [acct.slug for acct in access.owned_accounts(s)]
        elif slugs:
            chosen = [
                access.managed(s, slug, legal_entity=False).slug for slug in dict.fromkeys(slugs)
            ]
        else:
            chosen = [access.managed(s, None, legal_entity=False).slug]
        state = State(s, chosen)
        seq, digest = audit.head(s.conn)
        out = [
            f"# colabctl team file: exported {s.now_iso} by {actor.email}",
            f"# audit head {seq}:{digest}",
            "version = 1",
        ]
        for slug in chosen:
            _export_account(out, state, state.accounts[slug])
        return "\n".join(out) + "\n"


def _toml_str(value: str) -> str:
    # A JSON string is a TOML basic string, once DEL (which JSON leaves raw) is escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(value: str) -> str:
    return (
        value
        if value.replace("-", "").replace("_", "").isalnum() and value.isascii()
        else _toml_str(value)
    )


def _export_account(out: list[str], state: State, acct: Account) -> None:
    from colabctl.core.taxid import format_tax_id

    head = f"accounts.{_toml_key(acct.slug)}"
    out += [
        "",
        f"[{head}]",
        f"name = {_toml_str(acct.name)}",
        f"owner = {_toml_str(acct.owner_email)}",
    ]
    if acct.tax_id and acct.tax_country:
        number = format_tax_id(acct.tax_id, acct.tax_country)
        out.append(
            f"tax_id = {{ country = {_toml_str(acct.tax_country)}, number = {_toml_str(number)} }}"
        )
    mine = state.profiles[acct.id]
    if not mine:
        out += ["", f"[{head}.profiles]"]
    for name in sorted(mine):
        profile = mine[name]
        ids = ", ".join(_toml_str(i) for i in catalog().ordered(profile.permissions))
        out += [
            "",
            f"[{head}.profiles.{_toml_key(name)}]",
            f"description = {_toml_str(profile.description)}",
            f"permissions = [{ids}]",
        ]
    out += ["", f"[{head}.collaborators]"]
    people = sorted(
        (m for m in state.members[acct.id].values() if m.status in ("pending", "active")),
        key=lambda m: email_key(m.email),
    )
    for member in people:
        held = _toml_str(member.profile or "")
        if member.access_until:  # a TOML date-time, unquoted (docs/team-file.md)
            value = f"{{ profile = {held}, access_until = {member.access_until} }}"
        else:
            value = held
        out.append(f"{_toml_str(member.email)} = {value}")
