"""core/team/exporter.py: `export`, the team file of accounts the actor owns (ids,
descriptions, emails as stored, pending and active people, the audit head), which plans
to no change; for the owner alone."""

from __future__ import annotations

import tomllib
from collections.abc import Callable

import pytest
from support import ACME, BEA, BOB, CAIO, CNPJ, OWNER, FakeClock, preset_ids

from colabctl.core import accounts, collaborators, profiles
from colabctl.core.audit import read_head
from colabctl.core.clock import iso
from colabctl.core.session import Context
from colabctl.core.team import commands
from colabctl.core.team.exporter import export
from colabctl.core.team.model import Options
from colabctl.errors import Forbidden, NotFound
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

As = Callable[[str | None], Context]


def test_the_export_is_the_account_as_it_stands(
    acme_db: Target, ctx_as: As, clock: FakeClock
) -> None:
    collaborators.invite(
        ctx_as(OWNER), BEA, profile="tecnico", access_until="2027-03-31", account=ACME
    )
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(CAIO), ACME)  # declined: not in the file
    text = export(ctx_as(OWNER), [ACME])
    lines = text.splitlines()
    assert lines[0] == f"# colabctl team file: exported {iso(clock())} by {OWNER}"
    seq, digest = read_head(ctx_as(OWNER))
    assert lines[1] == f"# audit head {seq}:{digest}"
    data = tomllib.loads(text)
    acme = data["accounts"][ACME]
    assert (acme["name"], acme["owner"]) == ("Acme Cursos", OWNER)
    assert acme["tax_id"] == {"country": "BR", "number": CNPJ}
    assert acme["profiles"]["soporte"]["permissions"] == preset_ids("soporte")
    assert acme["collaborators"] == {
        BEA: {"profile": "tecnico", "access_until": tomllib.loads("t = 2027-03-31T23:59:59Z")["t"]},
        BOB: "soporte",
    }


def test_an_export_plans_to_no_change(acme_db: Target, ctx_as: As) -> None:
    profiles.create(
        ctx_as(OWNER), "own", perms=["products.view"], description='A "quoted" one', account=ACME
    )
    collaborators.invite(ctx_as(OWNER), BEA, profile="own", account=ACME)
    raw = export(ctx_as(OWNER), [ACME]).encode()
    assert commands.plan(ctx_as(OWNER), raw, "export.toml", Options()).changes == []


def test_all_accounts_are_the_ones_owned(acme_db: Target, ctx_as: As) -> None:
    accounts.create(ctx_as(OWNER), "aaa", "Plain")
    accounts.create(ctx_as(BOB), "bobs", "Bob's")
    data = tomllib.loads(export(ctx_as(OWNER), all_accounts=True))
    assert list(data["accounts"]) == ["aaa", ACME]
    assert data["accounts"]["aaa"]["profiles"] == {}  # an empty table: managed, none wanted


def test_only_the_owner_exports(acme_db: Target, ctx_as: As) -> None:
    with pytest.raises(Forbidden) as collaborator:
        export(ctx_as(BOB), [ACME])
    assert collaborator.value.message == f"only the owner of {ACME} ({OWNER}) can do that"
    with pytest.raises(NotFound):
        export(ctx_as(OWNER), ["no-such"])
