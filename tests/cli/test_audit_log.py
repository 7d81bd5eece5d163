"""`audit log` reads like a history (docs/commands.md, "audit log"): a change column in
words (English in `--json`'s `change`), filters that narrow together (--action widens
among its own values), and nothing shown that the reader may not see: a tax ID and its
country are the owner's, and so are review acknowledgements. On both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import ACME, BOB, CARLA, CNPJ, OTHER_CNPJ, OWNER, Cli, FakeClock, as_owner, ok, raw

from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")


def log(cli: Cli, *args: str, actor: str = OWNER) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        ok(cli("--as", actor, "audit", "log", "-a", ACME, "--json", *args)).stdout
    )
    return rows


def actions(cli: Cli, *args: str, actor: str = OWNER) -> list[str]:
    return [row["action"] for row in log(cli, *args, actor=actor)]


@pytest.fixture
def history(cli: Cli, clock: FakeClock, legal_account: str) -> str:
    """A day by day history of acme-cursos: day 0 the account and its profiles (the
    fixture's), day 1 bob invited and active, day 2 soporte edited and bob moved to
    tecnico, day 3 carla invited with access until 2027-03-31."""
    clock.advance(days=1)
    ok(cli(*as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)))
    ok(cli("--as", BOB, "accept", ACME))
    clock.advance(days=1)
    edit = ("--add", "tools.listboss", "--remove", "purchases.request_refunds")
    ok(cli(*as_owner("profile", "edit", "soporte", *edit)))
    ok(cli(*as_owner("collaborator", "set-profile", BOB, "tecnico")))
    clock.advance(days=1)
    ok(cli(*as_owner("invite", CARLA, "--profile", "soporte", "--access-until", "2027-03-31")))
    return ACME


def test_the_change_column_says_what_each_row_did(cli: Cli, history: str) -> None:
    rows = log(cli)
    said: dict[str, str] = {}
    for row in rows:  # newest first: each action's latest row
        said.setdefault(row["action"], row["change"])
    assert said["profile.edit"] == "soporte: +tools.listboss -purchases.request_refunds"
    assert said["collaborator.set_profile"] == f"{BOB}: soporte → tecnico"
    assert said["invitation.create"].endswith("access until 2027-03-31")
    assert said["invitation.accept"] == f"{BOB} joined as soporte"
    assert said["account.create"] == (f'{ACME} created as "Acme Cursos", tax ID BR {CNPJ}')
    for row in rows:  # every key of SPEC's shape, and the change
        assert set(row) == {
            "seq",
            "at",
            "actor",
            "account",
            "action",
            "target",
            "details",
            "db_login",
            "change",
        }
    table = ok(cli(*as_owner("audit", "log", "-a", ACME))).stdout
    assert "change" in table.splitlines()[2]  # the title, the rule, the header
    assert f"{BOB}: soporte → tecnico" in table
    assert "soporte: +tools.listboss -purchases.request_refunds" in table


def test_change_is_english_in_json_whatever_the_language(cli: Cli, history: str) -> None:
    english = log(cli)
    spanish = json.loads(
        ok(
            cli("--as", OWNER, "audit", "log", "-a", ACME, "--json", env={"COLABCTL_LANG": "es"})
        ).stdout
    )
    assert [r["change"] for r in spanish] == [r["change"] for r in english]


def test_action_is_a_prefix_and_several_widen(cli: Cli, history: str) -> None:
    assert set(actions(cli, "--action", "profile.")) == {"profile.create", "profile.edit"}
    assert actions(cli, "--action", "profile.edit") == ["profile.edit"]
    assert set(actions(cli, "--action", "profile.edit", "--action", "collaborator.")) == {
        "profile.edit",
        "collaborator.set_profile",
    }
    assert actions(cli, "--action", "PROFILE.EDIT") == ["profile.edit"]
    # LIKE's wildcards are plain characters in a prefix
    assert actions(cli, "--action", "profile_") == []
    assert actions(cli, "--action", "%") == []


def test_target_is_exact_an_email_by_its_identity_key(cli: Cli, history: str) -> None:
    about_bob = actions(cli, "--target", "BOB.Costa@Example.COM")
    assert about_bob == ["collaborator.set_profile", "invitation.accept", "invitation.create"]
    assert actions(cli, "--target", "bob.costa") == []
    assert actions(cli, "--target", "SOPORTE") == ["profile.edit", "profile.create"]
    assert actions(cli, "--target", "soport") == []


def test_since_and_until_take_dates_date_times_and_durations(
    cli: Cli, clock: FakeClock, history: str
) -> None:
    day = clock.now.date()  # day 3
    yesterday, before = (day.fromordinal(day.toordinal() - n).isoformat() for n in (1, 2))
    assert actions(cli, "--since", yesterday) == [
        "invitation.create",
        "collaborator.set_profile",
        "profile.edit",
    ]
    assert actions(cli, "--since", yesterday, "--until", yesterday) == [
        "collaborator.set_profile",
        "profile.edit",
    ]  # --until a date: through that day's end
    assert actions(cli, "--until", before) == [
        "invitation.accept",
        "invitation.create",
        "profile.create",
        "profile.create",
        "account.create",
    ]
    assert actions(cli, "--since", "12h") == ["invitation.create"]
    assert actions(cli, "--since", "36h") == actions(cli, "--since", yesterday)
    stamp = clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert actions(cli, "--since", stamp, "--until", stamp) == ["invitation.create"]
    assert actions(cli, "--since", "2099-01-01") == []


def test_different_filters_narrow_together(cli: Cli, history: str) -> None:
    assert actions(cli, "--action", "invitation.", "--actor", BOB) == ["invitation.accept"]
    assert actions(cli, "--action", "invitation.", "--target", CARLA) == ["invitation.create"]
    assert actions(cli, "--actor", OWNER, "--target", BOB, "--limit", "1") == [
        "collaborator.set_profile"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "yesterday"),
        ("--until", "2026-13-01"),
        ("--since", "99999d"),
        ("--limit", "0"),
    ],
)
def test_bad_filters_exit_6_and_say_which(cli: Cli, history: str, args: tuple[str, ...]) -> None:
    result = cli(*as_owner("audit", "log", "-a", ACME, *args))
    assert result.exit_code == 6, result.stderr
    assert result.stderr.startswith("error: ") and result.stdout == ""


# -- what a collaborator may not see ------------------------------------------------------------


def tax_free(rows: list[dict[str, Any]]) -> None:
    text = json.dumps(rows)
    for shown in ("11222333000181", CNPJ, "11444777000161", OTHER_CNPJ, '"BR"', "BR:"):
        assert shown not in text, shown


def test_a_collaborator_sees_no_tax_id_or_country(cli: Cli, history: str, db_path: Target) -> None:
    ok(cli(*as_owner("account", "set-tax-id", ACME, OTHER_CNPJ, "--country", "BR")))
    mine = {r["action"]: r for r in log(cli)}
    theirs = {r["action"]: r for r in log(cli, actor=BOB)}
    assert mine["account.create"]["details"]["tax_id"] == "11222333000181"
    assert mine["account.set_tax_id"]["details"]["country"] == "BR"
    assert theirs["account.create"]["details"] == {
        "name": "Acme Cursos",
        "country": None,
        "tax_id": None,
    }
    assert theirs["account.create"]["change"] == f'{ACME} created as "Acme Cursos", a tax ID'
    assert theirs["account.set_tax_id"]["details"] == {
        "country": None,
        "tax_id": None,
        "previous": None,
    }
    assert theirs["account.set_tax_id"]["change"] == "a tax ID registered"
    tax_free(list(theirs.values()))
    table = ok(cli("--as", BOB, "audit", "log", "-a", ACME)).stdout
    assert "11.444.777" not in table and "11.222.333" not in table
    # the stored, hashed rows are unchanged
    (stored,) = raw(db_path, "SELECT details FROM audit WHERE action = 'account.create'")[0]
    assert "11222333000181" in stored[0]
    assert ok(cli("audit", "verify")).exit_code == 0


def test_apply_rows_hide_the_tax_id_from_a_collaborator(
    cli: Cli, history: str, tmp_path: Path
) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        f'version = 1\n\n[accounts.{ACME}]\nname = "Acme Cursos"\n'
        f'tax_id = {{ country = "BR", number = "{OTHER_CNPJ}" }}\n',
        encoding="utf-8",
    )
    ok(cli(*as_owner("apply", "-f", str(team), "--yes")))
    (applied,) = [r for r in log(cli, actor=BOB) if "apply" in r["details"]]
    assert applied["action"] == "account.set_tax_id"
    assert applied["details"]["tax_id"] is None and applied["details"]["country"] is None
    tax_free(log(cli, actor=BOB))
    (owner_view,) = [r for r in log(cli) if r["action"] == "account.set_tax_id"]
    assert owner_view["details"]["tax_id"] == "11444777000161"


def test_review_acks_are_the_owners(cli: Cli, history: str) -> None:
    findings = json.loads(ok(cli(*as_owner("review", "-a", ACME, "--json"))).stdout)["findings"]
    ok(cli(*as_owner("review", "ack", findings[-1]["id"], "--reason", "ok", "-a", ACME)))
    assert "review.ack" in actions(cli)
    assert "review.ack" not in actions(cli, actor=BOB)
    assert actions(cli, "--action", "review.", actor=BOB) == []
    (ack,) = log(cli, "--action", "review.ack")
    assert ack["details"]["fingerprint"] and ack["change"].startswith("finding ")
