"""Strangers learn nothing (docs/commands.md, "Who may look"): an actor who is not a
registered user gets, for any account named by an argument, -a or $COLABCTL_ACCOUNT, the
very answer a missing account gets (3; `can`: "no", unknown-account), before any "not a
registered user" (5). Commands that name no account keep 5, and with no actor at all 5
comes first. Asking `can` about oneself where one has no membership row is answered as
a missing account too. The tax ID and country are the owner's alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import (
    ACME,
    BEA,
    CNPJ,
    NOBODY,
    OWNER,
    ZED,
    Cli,
    dump,
    failure,
    hidden,
    ok,
    refused,
)

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

MISSING = "no-such-account"


@pytest.fixture
def team(cli: Cli, legal_account: str) -> str:
    """bea is active in acme-cursos (soporte), dora was invited and declined, zed is
    registered and in nothing; nobody@ was never registered. ana is logged in."""
    ok(cli("--as", OWNER, "invite", BEA, "--profile", "soporte", "-a", ACME))
    ok(cli("--as", BEA, "login", BEA))
    ok(cli("--as", BEA, "accept", ACME))
    ok(cli("--as", OWNER, "invite", "dora@example.com", "--profile", "soporte", "-a", ACME))
    ok(cli("--as", "dora@example.com", "decline", ACME))
    ok(cli("--as", ZED, "login", ZED))
    ok(cli("--as", OWNER, "login", OWNER))
    return ACME


# Every command that names an account, with {slug} where it goes: the nine reads
# and the rest, writes included.
NAMING = [
    ["account", "show", "{slug}"],
    ["profile", "list", "-a", "{slug}"],
    ["profile", "show", "soporte", "-a", "{slug}"],
    ["collaborator", "list", "-a", "{slug}"],
    ["collaborator", "show", BEA, "-a", "{slug}"],
    ["who-can", "products.view", "-a", "{slug}"],
    ["matrix", "-a", "{slug}"],
    ["audit", "log", "-a", "{slug}"],
    ["whoami", "--account", "{slug}"],
    ["use", "{slug}"],
    ["review", "-a", "{slug}"],
    ["profile", "create", "xy", "--preset", "soporte", "-a", "{slug}"],
    ["profile", "export", "soporte", "-a", "{slug}"],
    ["invite", "x@example.com", "--profile", "soporte", "-a", "{slug}"],
    ["collaborator", "remove", BEA, "-a", "{slug}"],
    ["account", "set-tax-id", "{slug}", CNPJ, "--country", "BR"],
    ["account", "transfer", "{slug}", BEA],
    ["account", "accept-transfer", "{slug}"],
    ["accept", "{slug}"],
    ["decline", "{slug}"],
]


def named(args: list[str], slug: str) -> list[str]:
    return [arg.format(slug=slug) for arg in args]


@pytest.mark.parametrize("args", NAMING, ids=lambda a: " ".join(a[:2]))
def test_a_stranger_gets_the_missing_accounts_answer(
    cli: Cli, team: str, db_path: Target, args: list[str]
) -> None:
    real = hidden(cli, db_path, ACME, "--as", NOBODY, *named(args, ACME))
    missing = hidden(cli, db_path, MISSING, "--as", NOBODY, *named(args, MISSING))
    assert real.stderr.replace(ACME, MISSING) == missing.stderr
    assert "registered" not in real.stderr and OWNER not in real.stderr


@pytest.mark.parametrize(
    "args",
    [["profile", "list"], ["collaborator", "list"], ["matrix"], ["audit", "log"]],
    ids=" ".join,
)
def test_the_account_from_the_environment_counts_too(
    cli: Cli, team: str, db_path: Target, args: list[str]
) -> None:
    for slug in (ACME, MISSING):
        result = refused(cli, db_path, 3, "--as", NOBODY, *args, env={"COLABCTL_ACCOUNT": slug})
        assert result.stderr.startswith(f'error: no account "{slug}"')


@pytest.mark.parametrize(
    "args",
    [["account", "list"], ["whoami"], ["who-can", "products.view", "--all-accounts"]],
    ids=" ".join,
)
def test_commands_that_name_no_account_keep_5(
    cli: Cli, team: str, db_path: Target, args: list[str]
) -> None:
    refused(cli, db_path, 5, "--as", NOBODY, *args, hint="colabctl login")


def test_with_no_actor_at_all_5_comes_first(cli: Cli, team: str, db_path: Target) -> None:
    ok(cli("logout"))
    for slug in (ACME, MISSING):
        refused(cli, db_path, 5, "profile", "list", "-a", slug, hint="colabctl login")
        refused(cli, db_path, 5, "can", BEA, "products.view", "-a", slug, hint="colabctl login")
        refused(cli, db_path, 5, "account", "show", slug, hint="colabctl login")


def test_can_answers_a_stranger_as_for_a_missing_account(
    cli: Cli, team: str, db_path: Target, tmp_path: Path
) -> None:
    before = dump(db_path)
    for slug in (ACME, MISSING):
        for about in (BEA, OWNER, NOBODY):
            result = ok(cli("--as", NOBODY, "can", about, "products.view", "-a", slug, "--json"), 1)
            assert json.loads(result.stdout)["results"] == [
                {"permission": "products.view", "allowed": False, "reason": "unknown-account"}
            ]
            assert result.stderr == ""
    lines = [
        {"user": about, "account": slug, "permission": "products.view"}
        for slug in (ACME, MISSING)
        for about in (BEA, NOBODY)
    ]
    path = tmp_path / "checks.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    batch = ok(cli("--as", NOBODY, "can", "--batch", str(path)))
    assert [json.loads(line)["reason"] for line in batch.stdout.splitlines()] == [
        "unknown-account"
    ] * 4
    assert dump(db_path) == before


def test_can_with_no_actor_at_all_is_5_even_in_a_batch(
    cli: Cli, team: str, db_path: Target, tmp_path: Path
) -> None:
    ok(cli("logout"))
    path = tmp_path / "checks.jsonl"
    path.write_text(json.dumps({"user": BEA, "account": MISSING, "permission": "x"}) + "\n")
    result = cli("can", "--batch", str(path))
    failure(result, 5)


def test_can_about_oneself_without_a_membership_row_is_unknown_account(cli: Cli, team: str) -> None:
    """zed has never been invited to acme-cursos: "not a collaborator" would tell zed that
    the slug exists. dora declined: she was told of the account, and keeps her reason."""
    zed = json.loads(
        ok(cli("--as", ZED, "can", ZED, "products.view", "-a", ACME, "--json"), 1).stdout
    )
    assert zed["results"][0]["reason"] == "unknown-account"
    mine = ok(cli("--as", ZED, "can", ZED, "products.view", "-a", MISSING, "--json"), 1).stdout
    assert json.loads(mine)["results"] == zed["results"]
    dora = "dora@example.com"
    declined = json.loads(
        ok(cli("--as", dora, "can", dora, "products.view", "-a", ACME, "--json"), 1).stdout
    )
    assert declined["results"][0]["reason"] == "invitation-declined"


def test_tax_data_is_the_owners_everywhere(cli: Cli, team: str) -> None:
    """A collaborator sees neither the tax ID nor the country, in JSON or tables: account
    show, account list, whoami (with and without --account)."""
    secret = ("11.222.333/0001-81", "11222333000181")
    for args in (
        ["account", "show", ACME],
        ["account", "list"],
        ["whoami"],
        ["whoami", "--account", ACME],
    ):
        for as_json in ([], ["--json"]):
            text = ok(cli("--as", BEA, *args, *as_json)).stdout
            assert not any(s in text for s in secret), (args, text)
            if as_json:
                found = json.loads(text)
                for item in found if isinstance(found, list) else [found]:
                    assert item.get("tax_id") is None and item.get("country") is None
    shown = json.loads(ok(cli("--as", OWNER, "account", "show", ACME, "--json")).stdout)
    assert (shown["tax_id"], shown["country"]) == (secret[0], "BR")


def test_policy_tests_judge_a_stranger_as_one(cli: Cli, team: str, tmp_path: Path) -> None:
    """Live mode, as a stranger: every assertion fails as unknown-account (1), for a real
    account exactly as for a missing one; not 5."""
    said = {}
    for slug in (ACME, MISSING):
        path = tmp_path / f"{slug}.toml"
        path.write_text(
            f'[[check]]\naccount = "{slug}"\nuser = "{BEA}"\nallow = ["products.view"]\n',
            encoding="utf-8",
        )
        result = ok(cli("--as", NOBODY, "test", str(path), "--json"), 1)
        [case] = json.loads(result.stdout)["files"][0]["cases"]
        said[slug] = (case["allowed"], case["reason"])
    assert said == {ACME: (False, "unknown-account"), MISSING: (False, "unknown-account")}
