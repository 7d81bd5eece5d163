"""Accounts and their tax ID (cli/accounts.py) through the command line."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from support import (
    ACME,
    BOB,
    CARLA,
    CNPJ,
    OWNER,
    PLAIN,
    Cli,
    Failure,
    as_json,
    fails_as_listed,
    failure,
    failure_id,
    ok,
)

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

SUPPORTED = ["AR", "BR", "CL", "CO", "ES", "MX", "PE", "PT", "US"]


# -- every failure, one table ------------------------------------------------------------------


FAILURES: list[Failure] = [
    (["account", "create", ACME, "--name", "Again"], 4, ACME),
    (["account", "create", "Acme-Cursos", "--name", "X"], 6, None),
    (["account", "create", "a", "--name", "X"], 6, None),
    (["account", "create", "1acme", "--name", "X"], 6, None),
    (["account", "create", "acme_cursos", "--name", "X"], 6, None),
    (["account", "create", "acme cursos", "--name", "X"], 6, None),
    (["account", "create", "-acme", "--name", "X"], 2, None),
    (["account", "create", "ácme", "--name", "X"], 6, None),
    (["account", "create", "x" * 41, "--name", "X"], 6, None),
    (["account", "create", "nueva", "--name", "X", "--tax-id", CNPJ], 6, "country"),
    (["account", "create", "nueva", "--name", "X", "--country", "BR"], 6, None),
    (
        [
            "account",
            "create",
            "nueva",
            "--name",
            "X",
            "--tax-id",
            "111.444.777-35",
            "--country",
            "BR",
        ],
        6,
        "CPF",
    ),
    (["--as", BOB, "account", "set-tax-id", PLAIN, CNPJ, "--country", "BR"], 3, "no account"),
    (
        ["--as", BOB, "account", "set-tax-id", ACME, "12.ABC.345/01DE-35", "--country", "BR"],
        3,
        "no account",
    ),
    (["account", "set-tax-id", PLAIN, "11.222.333/0001-80", "--country", "BR"], 6, None),
    (["account", "set-tax-id", PLAIN, "A13585626", "--country", "ES"], 6, None),
    (["account", "set-tax-id", PLAIN, "123456789", "--country", "DE"], 6, "DE"),
    (["account", "set-tax-id", "nope", CNPJ, "--country", "BR"], 3, "nope"),
    (["account", "show", "nope"], 3, "nope"),
    (["--as", CARLA, "account", "show", ACME], 3, "no account"),
    (
        ["--as", BOB, "account", "show", ACME],
        3,
        "no account",
    ),
]


@pytest.mark.parametrize("row", FAILURES, ids=failure_id)
def test_failure(cli: Cli, db_path: Path, world: dict[str, str], row: Failure) -> None:
    fails_as_listed(cli, db_path, world, *row)


# -- accounts ----------------------------------------------------------------------------------


def test_account_create_with_a_tax_id_is_a_legal_entity(cli: Cli, ana: str) -> None:
    result = ok(
        cli(
            "account",
            "create",
            ACME,
            "--name",
            "Acme Cursos",
            "--tax-id",
            "11222333000181",
            "--country",
            "br",
        )
    )
    assert result.stdout == ""
    shown = as_json(cli("account", "show", ACME, "--json"))
    assert shown["slug"] == ACME
    assert shown["name"] == "Acme Cursos"
    assert shown["owner"] == OWNER
    assert shown["legal_entity"] is True
    assert shown["tax_id"] == CNPJ  # stored compact, shown formatted
    assert shown["country"] == "BR"


def test_account_create_without_a_tax_id_is_not_a_legal_entity(cli: Cli, ana: str) -> None:
    ok(cli("account", "create", PLAIN, "--name", "Acme Personal"))
    shown = as_json(cli("account", "show", PLAIN, "--json"))
    assert shown["slug"] == PLAIN
    assert shown["owner"] == OWNER
    assert shown["legal_entity"] is False
    assert shown["tax_id"] is None


def test_set_tax_id_makes_a_legal_entity(cli: Cli, ana: str) -> None:
    ok(cli("account", "create", PLAIN, "--name", "Acme Personal"))
    failure(cli("profile", "create", "soporte", "--preset", "soporte", "-a", PLAIN), 5)
    ok(cli("account", "set-tax-id", PLAIN, "A13585625", "--country", "ES"))
    shown = as_json(cli("account", "show", PLAIN, "--json"))
    assert shown["legal_entity"] is True
    assert shown["country"] == "ES"
    assert shown["tax_id"] == "A13585625"
    ok(cli("profile", "create", "soporte", "--preset", "soporte", "-a", PLAIN))


def test_one_tax_id_may_serve_several_accounts(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "account",
            "create",
            "acme-livros",
            "--name",
            "Acme Livros",
            "--tax-id",
            CNPJ,
            "--country",
            "BR",
        )
    )
    assert as_json(cli("account", "show", "acme-livros", "--json"))["tax_id"] == CNPJ


PERSONS = [
    ("BR", "111.444.777-35", "stdnum.br.cpf"),
    ("ES", "12345678Z", "stdnum.es.dni"),
    ("AR", "20-12345678-6", "stdnum.ar.cuit"),
    ("PE", "10123456781", "stdnum.pe.ruc"),
    ("MX", "GODE561231GR8", "stdnum.mx.rfc"),
    ("PT", "123456789", "stdnum.pt.nif"),
]


@pytest.mark.parametrize(("country", "number", "module"), PERSONS)
def test_set_tax_id_refuses_a_persons_number(
    cli: Cli,
    legal_account: str,
    unchanged: Callable[[], None],
    country: str,
    number: str,
    module: str,
) -> None:
    # a well-formed number, so the refusal is for being a person's
    assert importlib.import_module(module).is_valid(number)
    error, _ = failure(cli("account", "set-tax-id", ACME, number, "--country", country), 6)
    assert "person" in error
    unchanged()


def test_unsupported_country_lists_the_supported_ones(
    cli: Cli, legal_account: str, unchanged: Callable[[], None]
) -> None:
    error, hint = failure(cli("account", "set-tax-id", ACME, "DE123456789", "--country", "DE"), 6)
    text = f"{error} {hint or ''}"
    assert all(code in text for code in SUPPORTED), text
    unchanged()


def test_account_list_json(cli: Cli, world: dict[str, str]) -> None:
    mine = as_json(cli("account", "list", "--json"))
    assert isinstance(mine, list)
    assert {a["slug"]: a["role"] for a in mine} == {ACME: "owner", PLAIN: "owner"}
    assert {a["slug"]: a["name"] for a in mine} == {ACME: "Acme Cursos", PLAIN: "Acme Personal"}
    # pending bob sees nothing yet; active bob sees his role; carla, nothing
    assert as_json(cli("--as", BOB, "account", "list", "--json")) == []
    ok(cli("--as", BOB, "accept", ACME))
    bobs = as_json(cli("--as", BOB, "account", "list", "--json"))
    assert [(a["slug"], a["role"]) for a in bobs] == [(ACME, "soporte")]
    assert as_json(cli("--as", CARLA, "account", "list", "--json")) == []


def test_account_show_for_an_active_collaborator(cli: Cli, active: str) -> None:
    shown = as_json(cli("--as", BOB, "account", "show", ACME, "--json"))
    assert shown["slug"] == ACME
    assert shown["owner"] == OWNER


def test_account_tables_go_to_stdout(cli: Cli, world: dict[str, str]) -> None:
    listed = ok(cli("account", "list"))
    assert ACME in listed.stdout
    assert PLAIN in listed.stdout
    shown = ok(cli("account", "show", ACME))
    assert CNPJ in shown.stdout
    assert "error" not in shown.stderr
