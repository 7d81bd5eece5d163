"""The foundation through the command line (SPEC sections 2-7): login and the actor,
accounts and their tax ID, the catalog, presets and profiles.

Every failure is checked the same way: its exit code, one `error:` line (and at most one
`hint:` line) on stderr, nothing on stdout, no traceback, and the store as it was.
"""

from __future__ import annotations

import importlib
import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CNPJ, OWNER, Cli, FakeClock, dump, failure, ok
from typer.testing import CliRunner, Result

import colabctl
from colabctl.cli import app, common
from colabctl.core.catalog import catalog

BOB = "bob@example.com"
CARLA = "carla@example.com"
ACME = "acme-cursos"
PLAIN = "acme"  # an account with no tax ID: not a legal entity
SUPPORTED = ["AR", "BR", "CL", "CO", "ES", "MX", "PE", "PT", "US"]
SPEC_JSON_PERMISSION_KEYS = {"id", "category", "label", "risk", "owner_only"}
SPEC_JSON_PROFILE_KEYS = {"name", "account", "description", "permissions", "collaborators"}


def as_json(result: Result) -> Any:
    """The one JSON document on stdout (json.loads refuses anything around it)."""
    ok(result)
    return json.loads(result.stdout)


@pytest.fixture
def ana(cli: Cli) -> str:
    ok(cli("login", OWNER, "--name", "Ana Souza"))
    return OWNER


@pytest.fixture
def bob(cli: Cli, ana: str) -> str:
    """bob is a registered user; ana stays the logged-in one."""
    ok(cli("login", BOB))
    ok(cli("login", OWNER))
    return BOB


@pytest.fixture
def invited(cli: Cli, legal_account: str, bob: str) -> str:
    """bob holds soporte in acme-cursos, pending."""
    ok(cli("invite", BOB, "--profile", "soporte", "-a", legal_account))
    return BOB


@pytest.fixture
def active(cli: Cli, invited: str) -> str:
    """bob holds soporte in acme-cursos, active."""
    ok(cli("--as", BOB, "accept", ACME))
    return BOB


WORLD_STEPS = [
    ["login", OWNER, "--name", "Ana Souza"],
    ["account", "create", ACME, "--name", "Acme Cursos", "--tax-id", CNPJ, "--country", "BR"],
    ["profile", "create", "soporte", "--preset", "soporte", "-a", ACME],
    ["profile", "create", "tecnico", "--preset", "tecnico", "-a", ACME],
    ["login", BOB],
    ["login", CARLA],
    ["login", OWNER],
    ["invite", BOB, "--profile", "soporte", "-a", ACME],
    ["account", "create", PLAIN, "--name", "Acme Personal"],
    ["profile", "export", "soporte", "-o", "{folder}/soporte-export.toml", "-a", ACME],
]


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world's store and config, built once per module (the failure table is long)."""
    folder = tmp_path_factory.mktemp("world")
    env: dict[str, str | None] = {
        "COLABCTL_DB": str(folder / "store.db"),
        "COLABCTL_CONFIG": str(folder / "config.toml"),
        "COLABCTL_USER": None,
        "COLABCTL_ACCOUNT": None,
    }
    runner = CliRunner()
    saved = common.CLOCK
    common.CLOCK = FakeClock()  # the same start as the `clock` fixture's
    try:
        for step in WORLD_STEPS:
            args = [arg.format(folder=folder) for arg in step]
            result = runner.invoke(app, args, env=env)  # type: ignore[arg-type]
            assert result.exit_code == 0, (args, result.stderr)
    finally:
        common.CLOCK = saved
    assert not (folder / "store.db-wal").exists()  # every command closed the store
    return folder


@pytest.fixture
def world(cli: Cli, world_template: Path, db_path: Path, tmp_path: Path) -> dict[str, str]:
    """ana owns acme-cursos (legal: soporte, tecnico) and acme (no tax ID); bob is invited
    to acme-cursos as soporte (pending); carla is registered and in nothing. Plus files."""
    shutil.copyfile(world_template / "store.db", db_path)
    shutil.copyfile(world_template / "config.toml", tmp_path / "config.toml")
    exported = tmp_path / "soporte-export.toml"
    shutil.copyfile(world_template / "soporte-export.toml", exported)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('name = "x"\npermissions = [\n  "products.view"\n  oops\n', "utf-8")
    owner_only = tmp_path / "owner-only.toml"
    owner_only.write_text('name = "x"\npermissions = ["products.view", "account.bank"]\n', "utf-8")
    return {"export": str(exported), "bad_toml": str(bad_toml), "owner_only": str(owner_only)}


def test_the_world_is_what_it_says(cli: Cli, world: dict[str, str]) -> None:
    assert as_json(cli("whoami", "--json"))["user"] == OWNER
    assert {a["slug"] for a in as_json(cli("account", "list", "--json"))} == {ACME, PLAIN}
    assert profile_json(cli, "soporte")["collaborators"] == [BOB]
    assert as_json(cli("--as", CARLA, "whoami", "--json"))["accounts"] == []


def profile_json(cli: Cli, name: str, account: str = ACME) -> dict[str, Any]:
    found: dict[str, Any] = as_json(cli("profile", "show", name, "-a", account, "--json"))
    return found


def preset_ids(cli: Cli, name: str) -> list[str]:
    ids: list[str] = as_json(cli("preset", "show", name, "--json"))["permissions"]
    return ids


# -- every failure, one table --------------------------------------------------------------

FAILURES: list[tuple[list[str], int, str | None]] = [
    # (arguments, exit code, text the error or hint must contain)
    (["login", "not-an-email"], 6, "not-an-email"),
    (["login", "ana@"], 6, None),
    (["login", "ana@example"], 6, None),
    (["login", "@example.com"], 6, None),
    (["login", "ana souza@example.com"], 6, None),
    (["login", ""], 6, None),
    (["login", "dora@example.com", "--name", "Dora\x07"], 6, None),
    (["--as", "nobody@example.com", "account", "create", "zz", "--name", "Z"], 5, "colabctl login"),
    (["--as", "nobody@example.com", "account", "list"], 5, "colabctl login"),
    (["--as", "nobody@example.com", "profile", "list", "-a", ACME], 5, "colabctl login"),
    (["account", "create", ACME, "--name", "Again"], 4, ACME),
    (["account", "create", "Acme-Cursos", "--name", "X"], 6, None),
    (["account", "create", "a", "--name", "X"], 6, None),
    (["account", "create", "1acme", "--name", "X"], 6, None),
    (["account", "create", "acme_cursos", "--name", "X"], 6, None),
    (["account", "create", "acme cursos", "--name", "X"], 6, None),
    (["account", "create", "-acme", "--name", "X"], 2, None),  # an option to click: usage
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
    ),  # pending is not active: told nothing
    (["permissions", "--category", "bogus"], 6, "bogus"),
    (["permissions", "--lang", "de"], 6, None),
    (["preset", "show", "nope"], 3, "nope"),
    (["preset", "show", "nope", "--json"], 3, "nope"),
    (
        ["profile", "create", "otro", "--preset", "soporte", "--from", "{export}", "-a", ACME],
        6,
        None,
    ),
    (
        ["profile", "create", "otro", "--perm", "purchases.request_refund", "-a", ACME],
        6,
        "did you mean",
    ),
    (["profile", "create", "otro", "--perm", "account.bank", "-a", ACME], 6, "account.bank"),
    (["profile", "create", "otro", "--perm", "Datos bancarios", "-a", ACME], 6, "account.bank"),
    (
        ["profile", "create", "otro", "--preset", "soporte", "--perm", "team.manage", "-a", ACME],
        6,
        "team.manage",
    ),
    (["profile", "create", "soporte", "--preset", "soporte", "-a", ACME], 4, "soporte"),
    (["profile", "create", "soporte", "--perm", "products.view", "-a", ACME], 4, "soporte"),
    (
        ["--as", BOB, "profile", "create", "otro", "--preset", "soporte", "-a", ACME],
        3,
        "no account",
    ),
    (
        ["--as", CARLA, "profile", "create", "otro", "--preset", "soporte", "-a", ACME],
        3,
        "no account",
    ),
    (["profile", "create", "otro", "--preset", "soporte", "-a", PLAIN], 5, "account set-tax-id"),
    (["profile", "create", "otro", "--preset", "nope", "-a", ACME], 3, "nope"),
    (["profile", "create", "otro", "-a", ACME], 6, None),
    (["profile", "create", "Otro", "--preset", "soporte", "-a", ACME], 6, None),
    (["profile", "create", "otro", "--preset", "soporte", "-a", "nope"], 3, "nope"),
    (["profile", "create", "otro", "--from", "{bad_toml}", "-a", ACME], 6, "{bad_toml}"),
    (["profile", "create", "otro", "--from", "{owner_only}", "-a", ACME], 6, "account.bank"),
    (["profile", "list"], 6, ACME),  # two accounts, none chosen: name the choices
    (["profile", "show", "nope", "-a", ACME], 3, "nope"),
    (["--as", CARLA, "profile", "show", "soporte", "-a", ACME], 3, "no account"),
    (["--as", CARLA, "profile", "list", "-a", ACME], 3, "no account"),
    (["profile", "edit", "soporte", "--add", "account.bank", "-a", ACME], 6, "account.bank"),
    (["profile", "edit", "soporte", "--add", "Datos de cuenta", "-a", ACME], 6, "account.data"),
    (["profile", "edit", "soporte", "--add", "bogus.perm", "-a", ACME], 6, "bogus.perm"),
    (["profile", "edit", "soporte", "--remove", "bogus.perm", "-a", ACME], 6, "bogus.perm"),
    (
        ["--as", BOB, "profile", "edit", "soporte", "--add", "receipts.send", "-a", ACME],
        3,
        "no account",
    ),
    (
        ["--as", CARLA, "profile", "edit", "soporte", "--description", "x", "-a", ACME],
        3,
        "no account",
    ),
    (["profile", "edit", "nope", "--add", "receipts.send", "-a", ACME], 3, "nope"),
    (["profile", "delete", "soporte", "-a", ACME], 4, BOB),  # held by bob (pending)
    (["profile", "delete", "soporte", "--reassign", "nope", "-a", ACME], 3, "nope"),
    (["profile", "delete", "tecnico", "--reassign", "nope", "-a", ACME], 3, "nope"),
    (["--as", BOB, "profile", "delete", "tecnico", "-a", ACME], 3, "no account"),
    (["profile", "delete", "nope", "-a", ACME], 3, "nope"),
    (["profile", "export", "nope", "-a", ACME], 3, "nope"),
    (["--as", CARLA, "profile", "export", "soporte", "-a", ACME], 3, "no account"),
]


@pytest.mark.parametrize(("args", "code", "needle"), FAILURES, ids=lambda v: str(v)[:60])
def test_failure(
    cli: Cli,
    world: dict[str, str],
    unchanged: Callable[[], None],
    args: list[str],
    code: int,
    needle: str | None,
) -> None:
    args = [a.format(**world) if a.startswith("{") else a for a in args]
    result = cli(*args)
    if code == 2:  # Typer's own usage error: no `error:` contract, still nothing written
        assert result.exit_code == 2
        assert "Traceback" not in result.stderr
        unchanged()
        return
    error, hint = failure(result, code)
    if needle is not None:
        assert needle.format(**world) in f"{error}\n{hint or ''}"
    unchanged()


# -- version, login, logout, the actor -----------------------------------------------------


def test_version(cli: Cli, db_path: Path) -> None:
    result = ok(cli("--version"))
    assert result.stdout == f"colabctl {colabctl.__version__}\n"
    assert result.stderr == ""
    assert not db_path.exists()


def test_login_registers_and_logs_in(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    result = ok(cli("login", OWNER))
    assert result.stdout == ""
    assert OWNER in result.stderr
    config = tomllib.loads((tmp_path / "config.toml").read_text("utf-8"))
    assert config["user"] == OWNER
    assert as_json(cli("whoami", "--json"))["user"] == OWNER


def test_login_again_changes_nothing(cli: Cli, ana: str, db_path: Path) -> None:
    before = dump(db_path)
    ok(cli("login", OWNER))
    ok(cli("login", OWNER, "--name", "Ana Souza"))  # the same name: still nothing new
    assert dump(db_path) == before


def test_login_normalises_the_email(cli: Cli) -> None:
    ok(cli("login", "  Ana.Souza@Example.COM "))
    assert as_json(cli("whoami", "--json"))["user"] == "Ana.Souza@example.com"


def test_emails_differing_only_in_case_are_one_user(cli: Cli, db_path: Path) -> None:
    ok(cli("login", "Ana.Souza@Example.COM"))
    before = dump(db_path)
    ok(cli("login", "ana.souza@EXAMPLE.com"))
    assert dump(db_path) == before  # no second user
    # kept and shown as first normalised
    assert as_json(cli("whoami", "--json"))["user"] == "Ana.Souza@example.com"
    assert as_json(cli("--as", "ANA.SOUZA@example.com", "whoami", "--json"))["user"] == (
        "Ana.Souza@example.com"
    )


def test_a_bad_email_on_a_fresh_store_creates_nothing(
    cli: Cli, db_path: Path, tmp_path: Path
) -> None:
    failure(cli("login", "not-an-email"), 6)
    assert not db_path.exists()
    assert not (tmp_path / "config.toml").exists()


def test_logout(cli: Cli, ana: str, db_path: Path) -> None:
    before = dump(db_path)
    result = ok(cli("logout"))
    assert result.stdout == ""
    assert dump(db_path) == before
    _, hint = failure(cli("whoami"), 5)
    assert hint is not None
    assert "colabctl login" in hint
    ok(cli("logout"))  # nobody logged in: still fine


@pytest.fixture
def three(cli: Cli) -> None:
    """ana, bob and carla are registered; carla logged in last (the config's user)."""
    for email in (OWNER, BOB, CARLA):
        ok(cli("login", email))


def test_actor_is_the_config_user(cli: Cli, three: None) -> None:
    assert as_json(cli("whoami", "--json"))["user"] == CARLA


def test_colabctl_user_beats_the_config(cli: Cli, three: None) -> None:
    result = cli("whoami", "--json", env={"COLABCTL_USER": BOB})
    assert as_json(result)["user"] == BOB


def test_as_beats_colabctl_user(cli: Cli, three: None) -> None:
    result = cli("--as", OWNER, "whoami", "--json", env={"COLABCTL_USER": BOB})
    assert as_json(result)["user"] == OWNER


def test_actor_acts_as_who_it_names(cli: Cli, three: None) -> None:
    """The actor is not only displayed: the account created belongs to it."""
    ok(cli("account", "create", "de-bob", "--name", "Bob", env={"COLABCTL_USER": BOB}))
    assert (
        as_json(cli("account", "show", "de-bob", "--json", env={"COLABCTL_USER": BOB}))["owner"]
        == BOB
    )
    failure(cli("account", "show", "de-bob"), 3)  # carla (config) is not bob: hidden


@pytest.mark.parametrize("where", ["as", "env"])
def test_unregistered_actor_is_forbidden(
    cli: Cli, three: None, unchanged: Callable[[], None], where: str
) -> None:
    nobody = "nobody@example.com"
    if where == "as":
        result = cli("--as", nobody, "account", "create", "zz", "--name", "Z")
    else:
        result = cli("account", "create", "zz", "--name", "Z", env={"COLABCTL_USER": nobody})
    error, hint = failure(result, 5)
    assert nobody in error
    assert hint is not None
    assert "colabctl login" in hint
    unchanged()


def test_config_user_missing_from_the_store_is_forbidden(
    cli: Cli, three: None, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    _, hint = failure(cli("--db", str(other), "account", "list"), 5)
    assert hint is not None
    assert "colabctl login" in hint
    assert not other.exists()


def test_no_actor_is_forbidden(cli: Cli, ana: str, db_path: Path) -> None:
    ok(cli("logout"))
    before = dump(db_path)
    _, hint = failure(cli("account", "create", "zz", "--name", "Z"), 5)
    assert hint is not None
    assert "colabctl login" in hint
    assert dump(db_path) == before


# -- accounts ------------------------------------------------------------------------------


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


# -- the catalog ---------------------------------------------------------------------------


def test_permissions_json_shape(cli: Cli, db_path: Path) -> None:
    perms = as_json(cli("permissions", "--json"))
    assert isinstance(perms, list)
    assert len(perms) == 41
    for perm in perms:
        assert set(perm) >= SPEC_JSON_PERMISSION_KEYS, perm
        assert isinstance(perm["owner_only"], bool)
        assert isinstance(perm["label"], str)
        assert perm["risk"] in {"low", "medium", "high", "owner"}
    assert {p["id"] for p in perms if p["owner_only"]} == {
        "account.data",
        "account.bank",
        "team.manage",
        "account.ownership",
    }
    assert {p["category"] for p in perms if p["owner_only"]} == {"owner"}
    assert [p["id"] for p in perms] == [p.id for p in catalog().permissions]
    # LANG=C.UTF-8 and nothing else: en
    assert {p["id"]: p["label"] for p in perms} == {
        p.id: p.label("en") for p in catalog().permissions
    }
    assert not db_path.exists()


def test_permissions_lang_es_gives_the_seed_labels(cli: Cli) -> None:
    labels = {p["id"]: p["label"] for p in as_json(cli("permissions", "--json", "--lang", "es"))}
    assert labels["purchases.request_refunds"] == "Solicitar Reembolsos"
    assert labels["purchases.search_by_period"] == "Buscar Ventas por Período"
    assert labels["team.manage"] == "Gestionar la Central de Colaboradores"


@pytest.mark.parametrize(
    ("env", "args", "lang"),
    [
        ({"COLABCTL_LANG": "pt"}, [], "pt"),
        ({"COLABCTL_LANG": "pt"}, ["--lang", "es"], "es"),
        ({"LANG": "es_MX.UTF-8"}, [], "es"),
        ({"LANG": "pt_BR.UTF-8", "COLABCTL_LANG": "en"}, [], "en"),
    ],
)
def test_permissions_language_precedence(
    cli: Cli, env: dict[str, str], args: list[str], lang: str
) -> None:
    perms = as_json(cli("permissions", "--json", *args, env=env))
    assert {p["id"]: p["label"] for p in perms} == {
        p.id: p.label(lang) for p in catalog().permissions
    }


@pytest.mark.parametrize("category", ["purchases", "Compras", "PURCHASES", "Purchases"])
def test_permissions_category_filter(cli: Cli, category: str) -> None:
    perms = as_json(cli("permissions", "--category", category, "--json"))
    assert [p["id"] for p in perms] == [
        "purchases.resend_notifications",
        "purchases.resend_emails",
        "purchases.issue_cash_payments",
        "purchases.request_refunds",
        "purchases.change_buyer_email",
        "purchases.search",
        "purchases.search_by_period",
    ]


def test_permissions_category_owner(cli: Cli) -> None:
    perms = as_json(cli("permissions", "--category", "owner", "--json"))
    assert len(perms) == 4
    assert all(p["owner_only"] for p in perms)


def test_permissions_table(cli: Cli) -> None:
    result = ok(cli("permissions"))
    for perm in catalog().permissions:
        assert perm.id in result.stdout
        assert perm.label("en") in result.stdout
    spanish = ok(cli("permissions", "--lang", "es")).stdout
    assert "Solicitar Reembolsos" in spanish
    assert "Mis Productos" in spanish  # the category's section row
    assert "Solo el titular" in spanish


def test_permissions_table_for_one_category(cli: Cli) -> None:
    result = ok(cli("permissions", "--category", "tools", "--lang", "es"))
    assert "tools.listboss" in result.stdout
    assert "Gestionar Listboss" in result.stdout
    assert "products.view" not in result.stdout
    assert "purchases." not in result.stdout


# -- presets -------------------------------------------------------------------------------


def test_preset_list(cli: Cli, db_path: Path) -> None:
    presets = as_json(cli("preset", "list", "--json"))
    sizes = {p["name"]: len(p["permissions"]) for p in presets}
    assert sizes == {"soporte": 10, "tecnico": 10, "financiero": 10, "gerente-afiliados": 8}
    table = ok(cli("preset", "list"))
    for name in sizes:
        assert name in table.stdout
    assert not db_path.exists()


def test_preset_show(cli: Cli) -> None:
    shown = as_json(cli("preset", "show", "gerente-afiliados", "--json"))
    assert shown["name"] == "gerente-afiliados"
    assert len(shown["permissions"]) == 8
    assert "others.approve_affiliates" in shown["permissions"]
    table = ok(cli("preset", "show", "gerente-afiliados", "--lang", "es"))
    assert "others.approve_affiliates" in table.stdout
    assert "Aprobar Afiliados" in table.stdout


def test_unknown_preset_is_not_found_and_creates_no_store(cli: Cli, db_path: Path) -> None:
    _, hint = failure(cli("preset", "show", "nope"), 3)
    assert hint is not None
    assert "soporte" in hint
    assert not db_path.exists()


# -- profile create ------------------------------------------------------------------------


def test_profile_from_a_preset(cli: Cli, legal_account: str) -> None:
    ok(cli("profile", "create", "financiero", "--preset", "financiero", "-a", ACME))
    shown = profile_json(cli, "financiero")
    assert sorted(shown["permissions"]) == sorted(preset_ids(cli, "financiero"))
    assert len(shown["permissions"]) == 10
    assert shown["collaborators"] == []


def test_profile_from_a_preset_plus_perms(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "create",
            "soporte-plus",
            "--preset",
            "soporte",
            "--perm",
            "Enviar recibos",
            "--perm",
            "products.view",
            "-a",
            ACME,
        )
    )
    perms = profile_json(cli, "soporte-plus")["permissions"]
    assert sorted(perms) == sorted([*preset_ids(cli, "soporte"), "receipts.send"])


def test_profile_from_labels_in_any_language(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "create",
            "reembolsos",
            "--perm",
            "solicitar reembolsos",  # es, lower case
            "--perm",
            "Ver Produtos",  # pt
            "--perm",
            "View products",  # en, same permission again
            "--perm",
            "BUSCAR VENTAS POR PERIODO",  # es, no accent
            "--description",
            "Refunds only",
            "-a",
            ACME,
        )
    )
    shown = profile_json(cli, "reembolsos")
    assert sorted(shown["permissions"]) == [
        "products.view",
        "purchases.request_refunds",
        "purchases.search_by_period",
    ]
    assert shown["description"] == "Refunds only"


@pytest.mark.parametrize("via", ["file", "stdout"])
def test_profile_from_an_exported_file(
    cli: Cli, legal_account: str, tmp_path: Path, via: str
) -> None:
    path = tmp_path / "exported.toml"
    if via == "file":
        ok(cli("profile", "export", "tecnico", "-o", str(path), "-a", ACME))
    else:
        path.write_text(ok(cli("profile", "export", "tecnico", "-a", ACME)).stdout, "utf-8")
    ok(cli("profile", "create", "tecnico-copia", "--from", str(path), "-a", ACME))
    copy, original = profile_json(cli, "tecnico-copia"), profile_json(cli, "tecnico")
    assert copy["name"] == "tecnico-copia"  # the file's own name is ignored
    assert sorted(copy["permissions"]) == sorted(original["permissions"])
    assert copy["description"] == original["description"]
    names = [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))]
    assert "tecnico" in names
    assert "tecnico-copia" in names


def test_profile_from_a_file_plus_perms(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text('name = "ignored"\npermissions = ["Ver Productos"]\n', "utf-8")
    ok(cli("profile", "create", "mini", "--from", str(path), "--perm", "receipts.send", "-a", ACME))
    assert sorted(profile_json(cli, "mini")["permissions"]) == ["products.view", "receipts.send"]
    assert [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))].count(
        "ignored"
    ) == 0


def test_unknown_permission_suggests_the_closest(
    cli: Cli, legal_account: str, unchanged: Callable[[], None]
) -> None:
    error, hint = failure(
        cli("profile", "create", "otro", "--perm", "Solicitar Reembolso", "-a", ACME), 6
    )
    assert "Solicitar Reembolso" in error
    assert hint is not None
    assert "did you mean" in hint
    assert "purchases.request_refunds" in hint
    unchanged()


def test_legal_entity_gate_names_set_tax_id(cli: Cli, ana: str, db_path: Path) -> None:
    ok(cli("account", "create", PLAIN, "--name", "Acme Personal"))
    before = dump(db_path)
    for args in (
        ["profile", "create", "soporte", "--preset", "soporte", "-a", PLAIN],
        ["profile", "create", "soporte", "--perm", "products.view"],  # the only account
    ):
        _, hint = failure(cli(*args), 5)
        assert hint is not None
        assert "account set-tax-id" in hint
    assert dump(db_path) == before


# -- profile list / show -------------------------------------------------------------------


def test_profile_list_json(cli: Cli, legal_account: str) -> None:
    found = as_json(cli("profile", "list", "-a", ACME, "--json"))
    assert isinstance(found, list)
    assert sorted(p["name"] for p in found) == ["soporte", "tecnico"]
    table = ok(cli("profile", "list", "-a", ACME))
    assert "soporte" in table.stdout
    assert "tecnico" in table.stdout


def test_profile_list_uses_the_only_account(cli: Cli, legal_account: str) -> None:
    found = as_json(cli("profile", "list", "--json"))
    assert sorted(p["name"] for p in found) == ["soporte", "tecnico"]


def test_profile_show_json_shape(cli: Cli, invited: str) -> None:
    shown = profile_json(cli, "soporte")
    assert set(shown) >= SPEC_JSON_PROFILE_KEYS
    assert shown["name"] == "soporte"
    assert shown["account"] == ACME
    assert isinstance(shown["description"], str)
    assert sorted(shown["permissions"]) == sorted(preset_ids(cli, "soporte"))
    assert shown["collaborators"] == [BOB]  # pending holders hold the profile too
    assert profile_json(cli, "tecnico")["collaborators"] == []


def test_profile_show_for_an_active_collaborator(cli: Cli, active: str) -> None:
    shown = as_json(cli("--as", BOB, "profile", "show", "soporte", "-a", ACME, "--json"))
    assert shown["collaborators"] == [BOB]
    listed = as_json(cli("--as", BOB, "profile", "list", "-a", ACME, "--json"))
    assert sorted(p["name"] for p in listed) == ["soporte", "tecnico"]


def test_profile_show_table(cli: Cli, legal_account: str) -> None:
    result = ok(cli("profile", "show", "soporte", "-a", ACME, "--lang", "es"))
    for perm_id in preset_ids(cli, "soporte"):
        assert perm_id in result.stdout
    assert "Solicitar Reembolsos" in result.stdout


# -- profile edit --------------------------------------------------------------------------


def test_profile_edit(cli: Cli, legal_account: str) -> None:
    ok(
        cli(
            "profile",
            "edit",
            "soporte",
            "--add",
            "Enviar recibos",
            "--add",
            "Withdraw",
            "--remove",
            "products.view",
            "--description",
            "Soporte nivel 2",
            "-a",
            ACME,
        )
    )
    shown = profile_json(cli, "soporte")
    expected = (set(preset_ids(cli, "soporte")) | {"receipts.send", "withdrawal.withdraw"}) - {
        "products.view"
    }
    assert set(shown["permissions"]) == expected
    assert shown["description"] == "Soporte nivel 2"


def test_profile_edit_changes_every_holder_at_once(cli: Cli, active: str) -> None:
    assert cli("can", BOB, "receipts.send", "-a", ACME).exit_code == 1
    ok(cli("profile", "edit", "soporte", "--add", "receipts.send", "-a", ACME))
    assert cli("can", BOB, "receipts.send", "-a", ACME).exit_code == 0


def test_profile_edit_that_changes_nothing_writes_nothing(
    cli: Cli, legal_account: str, db_path: Path
) -> None:
    before = dump(db_path)
    ok(cli("profile", "edit", "soporte", "--add", "products.view", "-a", ACME))
    assert dump(db_path) == before


def test_profile_edit_leaving_nothing_is_invalid(
    cli: Cli, legal_account: str, unchanged: Callable[[], None]
) -> None:
    removes = [arg for perm in preset_ids(cli, "soporte") for arg in ("--remove", perm)]
    failure(cli("profile", "edit", "soporte", *removes, "-a", ACME), 6)
    unchanged()


# -- profile delete ------------------------------------------------------------------------


def test_profile_delete_unheld(cli: Cli, legal_account: str) -> None:
    ok(cli("profile", "delete", "tecnico", "-a", ACME))
    failure(cli("profile", "show", "tecnico", "-a", ACME), 3)
    assert [p["name"] for p in as_json(cli("profile", "list", "-a", ACME, "--json"))] == ["soporte"]


@pytest.mark.parametrize("holder", ["invited", "active"])
def test_profile_delete_held_needs_reassign(
    cli: Cli, request: pytest.FixtureRequest, db_path: Path, holder: str
) -> None:
    request.getfixturevalue(holder)
    before = dump(db_path)
    _, hint = failure(cli("profile", "delete", "soporte", "-a", ACME), 4)
    assert hint is not None
    assert "--reassign" in hint
    assert dump(db_path) == before


@pytest.mark.parametrize("holder", ["invited", "active"])
def test_profile_delete_reassign_moves_the_holders(
    cli: Cli, request: pytest.FixtureRequest, holder: str
) -> None:
    request.getfixturevalue(holder)
    ok(cli("profile", "delete", "soporte", "--reassign", "tecnico", "-a", ACME))
    failure(cli("profile", "show", "soporte", "-a", ACME), 3)
    assert profile_json(cli, "tecnico")["collaborators"] == [BOB]
    member = as_json(cli("collaborator", "show", BOB, "-a", ACME, "--json"))
    assert member["profile"] == "tecnico"
    assert member["status"] == ("pending" if holder == "invited" else "active")


def test_profile_delete_unknown_reassign_deletes_nothing(
    cli: Cli, invited: str, db_path: Path
) -> None:
    before = dump(db_path)
    failure(cli("profile", "delete", "soporte", "--reassign", "nope", "-a", ACME), 3)
    assert dump(db_path) == before
    assert profile_json(cli, "soporte")["collaborators"] == [BOB]


# -- profile export ------------------------------------------------------------------------


def test_profile_export_to_stdout(cli: Cli, legal_account: str) -> None:
    result = ok(cli("profile", "export", "soporte", "-a", ACME))
    data = tomllib.loads(result.stdout)
    assert data["name"] == "soporte"
    assert sorted(data["permissions"]) == sorted(profile_json(cli, "soporte")["permissions"])
    assert isinstance(data["description"], str)
    assert "error" not in result.stderr


def test_profile_export_to_a_file(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    path = tmp_path / "out" / "soporte.toml"
    path.parent.mkdir()
    result = ok(cli("profile", "export", "soporte", "-o", str(path), "-a", ACME))
    assert result.stdout == ""
    from_file = tomllib.loads(path.read_text("utf-8"))
    from_stdout = tomllib.loads(ok(cli("profile", "export", "soporte", "-a", ACME)).stdout)
    assert from_file == from_stdout


def test_profile_export_of_nothing_writes_no_file(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    path = tmp_path / "nope.toml"
    failure(cli("profile", "export", "nope", "-o", str(path), "-a", ACME), 3)
    assert not path.exists()
