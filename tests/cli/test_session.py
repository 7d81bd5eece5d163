"""login, logout, whoami and the actor (cli/session.py) through the command line."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from support import (
    ACME,
    BOB,
    CARLA,
    NOBODY,
    OWNER,
    PLAIN,
    Cli,
    Failure,
    as_json,
    dump,
    fails_as_listed,
    failure,
    failure_id,
    ok,
)

# -- every failure, one table ------------------------------------------------------------------


FAILURES: list[Failure] = [
    (["login", "not-an-email"], 6, "not-an-email"),
    (["login", "ana@"], 6, None),
    (["login", "ana@example"], 6, None),
    (["login", "@example.com"], 6, None),
    (["login", "ana souza@example.com"], 6, None),
    (["login", ""], 6, None),
    (["login", "dora@example.com", "--name", "Dora\x07"], 6, None),
    (["--as", NOBODY, "account", "create", "zz", "--name", "Z"], 5, "colabctl login"),
    (["--as", NOBODY, "account", "list"], 5, "colabctl login"),
    (["--as", NOBODY, "profile", "list", "-a", ACME], 5, "colabctl login"),
]


@pytest.mark.parametrize("row", FAILURES, ids=failure_id)
def test_failure(cli: Cli, db_path: Path, world: dict[str, str], row: Failure) -> None:
    fails_as_listed(cli, db_path, world, *row)


# -- login, logout, the actor ------------------------------------------------------------------


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
    nobody = NOBODY
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


def test_the_world_is_what_it_says(cli: Cli, world: dict[str, str]) -> None:
    assert as_json(cli("whoami", "--json"))["user"] == OWNER
    assert {a["slug"] for a in as_json(cli("account", "list", "--json"))} == {ACME, PLAIN}
    soporte = as_json(cli("profile", "show", "soporte", "-a", ACME, "--json"))
    assert soporte["collaborators"] == [BOB]
    assert as_json(cli("--as", CARLA, "whoami", "--json"))["accounts"] == []
