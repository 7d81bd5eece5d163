"""Who may look (docs/commands.md, "Who may look"): account data is the owner's; the owner
is not a collaborator, and the errors about them say so; an outsider learns nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OWNER, Cli, hidden, ok, refused

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

ACME = "acme-cursos"
BEA = "bea@example.com"
ZED = "zed@example.com"


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """bea is an active collaborator of acme-cursos (soporte); zed is registered, nowhere."""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "login", BEA))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", ZED, "login", ZED))
    return legal_account


def test_account_data_is_the_owners(cli: Cli, team: str) -> None:
    """The tax ID is "Datos de cuenta": shown to the owner, null for a collaborator."""
    mine = json.loads(ok(cli("--as", OWNER, "account", "show", ACME, "--json")).stdout)
    assert (mine["tax_id"], mine["country"], mine["legal_entity"]) == (
        "11.222.333/0001-81",
        "BR",
        True,
    )
    theirs = json.loads(ok(cli("--as", BEA, "account", "show", ACME, "--json")).stdout)
    assert (theirs["tax_id"], theirs["country"], theirs["legal_entity"]) == (None, None, True)
    assert theirs["role"] == "soporte"  # the same role `account list` gives
    listed = json.loads(ok(cli("--as", BEA, "account", "list", "--json")).stdout)
    assert [(a["slug"], a["role"], a["tax_id"], a["country"]) for a in listed] == [
        (ACME, "soporte", None, None)
    ]
    table = ok(cli("--as", BEA, "account", "show", ACME)).stdout
    assert "11.222.333" not in table and "11222333" not in table


def test_an_outsider_learns_nothing(cli: Cli, team: str, db_path: Path) -> None:
    for args in (
        ["account", "show", ACME],
        ["profile", "list", "-a", ACME],
        ["collaborator", "show", BEA, "-a", ACME],
        ["audit", "log", "-a", ACME],
        ["invite", "x@example.com", "--profile", "soporte", "-a", ACME],
    ):
        result = hidden(cli, db_path, ACME, "--as", ZED, *args)
        assert OWNER not in result.stderr
    # and the missing account's own answer is the very same
    missing = refused(cli, db_path, 3, "--as", ZED, "account", "show", "no-such")
    assert missing.stderr == hidden(
        cli, db_path, ACME, "--as", ZED, "account", "show", ACME
    ).stderr.replace(ACME, "no-such")


@pytest.mark.parametrize(
    "args",
    [
        ["collaborator", "remove", OWNER, "-a", ACME],
        ["collaborator", "set-profile", OWNER, "tecnico", "-a", ACME],
        ["invitation", "renew", OWNER, "-a", ACME],
    ],
    ids=["remove", "set-profile", "renew"],
)
def test_the_owner_is_not_a_collaborator(
    cli: Cli, team: str, db_path: Path, args: list[str]
) -> None:
    """Not "not a collaborator: invite them" (inviting the owner is refused too): it says
    the person owns the account, and how ownership moves."""
    result = refused(cli, db_path, 4, "--as", OWNER, *args, hint="account transfer")
    assert "owns acme-cursos" in result.stderr and "invite" not in result.stderr
