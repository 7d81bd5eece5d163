"""login, logout, whoami, use, the actor and the account choice (cli/session.py) through the
command line."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BEA,
    BOB,
    CAIO,
    CARLA,
    DORA,
    NOBODY,
    OWNER,
    PLAIN,
    ZED,
    Cli,
    Failure,
    FakeClock,
    as_json,
    create_legal_account,
    ctx_for,
    dump,
    exists,
    fails_as_listed,
    failure,
    failure_id,
    hidden,
    ok,
    preset_ids,
    refused,
)

from colabctl.core import users
from colabctl.core.catalog import catalog

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
    # an account named: a stranger gets the missing account's answer (3), whether it exists
    (["--as", NOBODY, "profile", "list", "-a", ACME], 3, "account list"),
    (["--as", NOBODY, "profile", "list", "-a", "no-such"], 3, "account list"),
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
    assert not exists(db_path)
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


# -- whoami, use and the account choice over several accounts -------------------------------


@pytest.fixture
def several(cli: Cli, legal_account: str, db_path: Path, clock: FakeClock) -> None:
    """ana owns acme-cursos and beta-cursos; bea owns bea-shop, is active (soporte) in
    acme-cursos and pending (tecnico) in beta-cursos; zed is registered, nowhere."""
    create_legal_account(cli, "beta-cursos", "Beta", "tecnico")
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "tecnico", "-a", "beta-cursos"))
    for email in (BEA, ZED):
        users.register(ctx_for(db_path, None, clock), email)
    ok(cli("--as", BEA, "account", "create", "bea-shop", "--name", "Bea Shop"))
    ok(cli("--as", BEA, "accept", ACME))


def whoami(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(cli(*args, "whoami", "--json")).stdout)
    return data


def test_whoami_lists_accounts_and_invitations(cli: Cli, several: None) -> None:
    me = whoami(cli, "--as", BEA)
    assert me["user"] == BEA
    roles = {a["slug"]: a["role"] for a in me["accounts"]}
    assert roles == {"bea-shop": "owner", ACME: "soporte"}
    assert not any(a["current"] for a in me["accounts"])
    for a in me["accounts"]:
        assert {"slug", "name", "role", "current"} <= set(a)
    assert [(i["account"], i["profile"]) for i in me["invitations"]] == [("beta-cursos", "tecnico")]
    ana = whoami(cli, "--as", OWNER)
    assert {a["slug"]: a["role"] for a in ana["accounts"]} == {
        ACME: "owner",
        "beta-cursos": "owner",
    }
    assert ana["invitations"] == []


def test_whoami_marks_the_current_account_after_use(cli: Cli, several: None) -> None:
    ok(cli("login", BEA))
    ok(cli("use", ACME))
    me = whoami(cli)
    assert {a["slug"]: a["current"] for a in me["accounts"]} == {"bea-shop": False, ACME: True}
    table = ok(cli("whoami")).stdout
    [acme_line] = [line for line in table.splitlines() if ACME in line]
    [shop_line] = [line for line in table.splitlines() if "bea-shop" in line]
    assert "*" in acme_line
    assert "*" not in shop_line
    ok(cli("use", "bea-shop"))
    me = whoami(cli)
    assert {a["slug"]: a["current"] for a in me["accounts"]} == {"bea-shop": True, ACME: False}


def test_whoami_after_an_invitation_expires(cli: Cli, several: None, clock: FakeClock) -> None:
    clock.advance(days=8)
    assert whoami(cli, "--as", BEA)["invitations"] == []


def test_whoami_in_an_account(cli: Cli, several: None) -> None:
    mine = json.loads(ok(cli("--as", BEA, "whoami", "--account", ACME, "--json")).stdout)
    assert mine["user"] == BEA
    assert mine["account"] == ACME
    assert mine["role"] == "soporte"
    assert set(mine["permissions"]) == set(preset_ids("soporte"))
    owner = json.loads(ok(cli("--as", OWNER, "whoami", "--account", ACME, "--json")).stdout)
    assert owner["role"] == "owner"
    assert set(owner["permissions"]) == {p.id for p in catalog().permissions}


def test_whoami_in_an_account_without_a_role(cli: Cli, several: None, db_path: Path) -> None:
    # a pending invitee was told of the account: 5, and the way in
    pending = ["--as", BEA, "whoami", "--account", "beta-cursos", "--json"]
    refused(cli, db_path, 5, *pending, hint="colabctl accept beta-cursos")
    # so was a former collaborator
    ok(cli("--as", OWNER, "collaborator", "remove", BEA, "-a", ACME))
    refused(cli, db_path, 5, "--as", BEA, "whoami", "--account", ACME, hint="whoami")
    # a stranger learns nothing
    hidden(cli, db_path, ACME, "--as", ZED, "whoami", "--account", ACME, "--json")
    refused(cli, db_path, 3, "--as", BEA, "whoami", "--account", "no-such", "--json")


def test_use_belongs_to_whoever_acts(cli: Cli, several: None, db_path: Path) -> None:
    """`use` sets the current account of the actor (--as, $COLABCTL_USER or the logged-in
    user), and never moves anyone else's: a CI job and a person can share one config."""
    ok(cli("login", BEA))
    ok(cli("use", "bea-shop"))
    ok(cli("--as", OWNER, "use", "beta-cursos"))
    ok(cli("use", ACME, env={"COLABCTL_USER": CAIO.upper()}), 3)  # a stranger: as if no account
    assert [a["slug"] for a in whoami(cli)["accounts"] if a["current"]] == ["bea-shop"]
    assert whoami(cli)["user"] == BEA  # --as logged nobody in
    owner = whoami(cli, "--as", OWNER)
    assert [a["slug"] for a in owner["accounts"] if a["current"]] == ["beta-cursos"]
    ok(cli("use", ACME, env={"COLABCTL_USER": OWNER}))
    owner = json.loads(ok(cli("whoami", "--json", env={"COLABCTL_USER": OWNER})).stdout)
    assert [a["slug"] for a in owner["accounts"] if a["current"]] == [ACME]
    assert [a["slug"] for a in whoami(cli)["accounts"] if a["current"]] == ["bea-shop"]
    # each one's commands default to their own current account
    assert json.loads(ok(cli("--as", OWNER, "collaborator", "list", "--json")).stdout)
    assert json.loads(ok(cli("collaborator", "list", "--json")).stdout) == []  # bea-shop's


def test_use_an_account_without_a_role_is_forbidden(
    cli: Cli, several: None, db_path: Path, tmp_path: Path
) -> None:
    ok(cli("login", BEA))
    config = tmp_path / "config.toml"
    before = config.read_bytes()
    refused(cli, db_path, 5, "use", "beta-cursos", hint="accept")  # only pending there
    ok(cli("collaborator", "list", "-a", ACME))  # (a read: config untouched)
    refused(cli, db_path, 3, "use", "no-such-account")
    assert config.read_bytes() == before
    ok(cli("login", ZED))
    before = config.read_bytes()
    hidden(cli, db_path, ACME, "use", ACME)
    assert config.read_bytes() == before


def test_an_ambiguous_account_names_the_choices(cli: Cli, several: None, db_path: Path) -> None:
    for command in (["collaborator", "list"], ["matrix"], ["can", BEA, "products.view"]):
        result = refused(cli, db_path, 6, "--as", BEA, *command)
        error = result.stderr.splitlines()[0]
        assert ACME in error and "bea-shop" in error
        assert "beta-cursos" not in error  # only pending there: not a choice


def test_the_only_account_needs_no_choice(cli: Cli, several: None) -> None:
    data = json.loads(ok(cli("--as", ZED, "whoami", "--json")).stdout)
    assert data["accounts"] == []
    # ana's invitee caio has no account of his own: acme is his only one once active
    ok(cli("--as", OWNER, "invite", CAIO, "--profile", "tecnico", "-a", ACME))
    ok(cli("--as", CAIO, "accept", ACME))
    found = json.loads(ok(cli("--as", CAIO, "collaborator", "list", "--json")).stdout)
    assert {m["user"] for m in found} == {BEA, CAIO}


def test_colabctl_account_env_is_honoured(cli: Cli, several: None) -> None:
    env = {"COLABCTL_ACCOUNT": ACME}
    found = json.loads(ok(cli("--as", BEA, "collaborator", "list", "--json", env=env)).stdout)
    assert {m["user"] for m in found} == {BEA}
    shop = {"COLABCTL_ACCOUNT": "bea-shop"}
    assert json.loads(ok(cli("--as", BEA, "collaborator", "list", "--json", env=shop)).stdout) == []
    # -a beats the environment
    found = json.loads(
        ok(cli("--as", BEA, "collaborator", "list", "-a", ACME, "--json", env=shop)).stdout
    )
    assert {m["user"] for m in found} == {BEA}
    # the environment beats `use`
    ok(cli("login", BEA))
    ok(cli("use", "bea-shop"))
    found = json.loads(ok(cli("collaborator", "list", "--json", env=env)).stdout)
    assert {m["user"] for m in found} == {BEA}
    # and the owner's invite goes to the account the environment names
    ok(cli("--as", OWNER, "invite", DORA, "--profile", "soporte", env=env))
    dora = as_json(cli("--as", OWNER, "collaborator", "show", DORA, "-a", ACME, "--json"))
    assert dora["status"] == "pending"


def test_current_account_from_use_is_the_default(cli: Cli, several: None) -> None:
    ok(cli("login", BEA))
    ok(cli("use", ACME))
    found = json.loads(ok(cli("collaborator", "list", "--json")).stdout)
    assert {m["user"] for m in found} == {BEA}


def test_the_config_is_written_whole_and_for_its_user_alone(cli: Cli, tmp_path: Path) -> None:
    """One atomic writer (core/files.py): no temporary file left beside it, mode 0600."""
    ok(cli("login", OWNER))
    config = tmp_path / "config.toml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
