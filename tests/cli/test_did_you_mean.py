"""Did you mean (docs/commands.md, "Did you mean"): an unknown profile, account, preset or
collaborator suggests the closest one the actor may see: accounts they own or actively
collaborate on (for accept and decline, their pending invitations), never the slug of an
account hidden from them."""

from __future__ import annotations

import pytest
from support import ACME, BEA, CNPJ, OWNER, Cli, failure, ok

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

FABIO = "fabio.lima@example.com"
HIDDEN = "acme-cursor"  # fabio's: one letter from ana's acme-cursos


@pytest.fixture
def two_owners(cli: Cli, legal_account: str) -> str:
    """ana owns acme-cursos (soporte, tecnico), where bea is active; fabio owns acme-cursor
    and fabio-shop, both hidden from ana."""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "login", BEA))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", FABIO, "login", FABIO))
    ok(cli("--as", FABIO, "account", "create", HIDDEN, "--name", "Cursor", "--tax-id", CNPJ,
           "--country", "BR"))  # fmt: skip
    ok(cli("--as", FABIO, "account", "create", "fabio-shop", "--name", "Shop"))
    return ACME


def hint_of(result: object, code: int) -> str:
    _, hint = failure(result, code)  # type: ignore[arg-type]
    assert hint is not None
    return hint


def test_an_account_suggests_one_of_the_actors_own(cli: Cli, two_owners: str) -> None:
    hint = hint_of(cli("--as", OWNER, "profile", "list", "-a", "acme-curso"), 3)
    assert hint == "hint: did you mean acme-cursos? (`colabctl account list` shows yours)"
    # a collaborator is offered the account they work for
    hint = hint_of(cli("--as", BEA, "collaborator", "list", "-a", "acme-curso"), 3)
    assert "did you mean acme-cursos?" in hint


def test_never_a_hidden_slug(cli: Cli, two_owners: str) -> None:
    """acme-cursox is as close to fabio's acme-cursor as to ana's acme-cursos: ana is offered
    hers; bea, who sees only acme-cursos, too; and a slug near only a hidden one gets no
    suggestion at all, exactly as if that account did not exist."""
    hint = hint_of(cli("--as", OWNER, "matrix", "-a", "acme-cursox"), 3)
    assert "acme-cursos" in hint and HIDDEN not in hint
    lone = hint_of(cli("--as", OWNER, "matrix", "-a", "fabio-shp"), 3)
    assert lone == "hint: `colabctl account list` shows yours"
    real = failure(cli("--as", OWNER, "matrix", "-a", "fabio-shop"), 3)
    assert real[1] == "hint: `colabctl account list` shows yours"


def test_accept_suggests_pending_invitations(cli: Cli, two_owners: str, db_path: Target) -> None:
    ok(cli("--as", FABIO, "account", "set-tax-id", "fabio-shop", CNPJ, "--country", "BR"))
    ok(cli("--as", FABIO, "profile", "create", "ventas", "--preset", "soporte", "-a", "fabio-shop"))
    ok(cli("--as", FABIO, "invite", OWNER, "--profile", "ventas", "-a", "fabio-shop"))
    hint = hint_of(cli("--as", OWNER, "accept", "fabio-shp"), 3)
    assert "did you mean fabio-shop?" in hint
    # the accounts ana owns are not invitations: nothing to accept there
    hint = hint_of(cli("--as", OWNER, "decline", "acme-curso"), 3)
    assert "acme-cursos" not in hint


def test_a_profile_suggests_the_closest_of_the_account(cli: Cli, two_owners: str) -> None:
    hint = hint_of(cli("--as", OWNER, "profile", "show", "suporte", "-a", ACME), 3)
    assert hint.startswith("hint: did you mean soporte?")
    hint = hint_of(cli("--as", OWNER, "invite", "x@example.com", "-p", "tecnic", "-a", ACME), 3)
    assert "did you mean tecnico?" in hint


def test_a_collaborator_suggests_the_closest_person(cli: Cli, two_owners: str) -> None:
    hint = hint_of(cli("--as", OWNER, "collaborator", "show", "bea@exmple.com", "-a", ACME), 3)
    assert f"did you mean {BEA}?" in hint


def test_a_preset_suggests_the_closest(cli: Cli, two_owners: str) -> None:
    hint = hint_of(cli("preset", "show", "suporte"), 3)
    assert hint.startswith("hint: did you mean soporte? (presets: ")
    hint = hint_of(cli("--as", OWNER, "profile", "create", "ab", "--preset", "financero"), 3)
    assert "did you mean financiero?" in hint
