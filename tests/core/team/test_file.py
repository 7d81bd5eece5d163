"""core/team/file.py: a team file read and validated as a whole before anything is
planned, every value by the commands' own rules, every fault Invalid naming the file and,
where the TOML says it, the line (docs/team-file.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colabctl.core.presets import find_preset
from colabctl.core.team.file import parse_team_file
from colabctl.errors import Invalid


def test_values_of_the_file() -> None:
    text = b"""version = 1
[accounts.acme-cursos.profiles.soporte]
preset = "soporte"
permissions = ["Retirar"]
[accounts.acme-cursos.profiles.own]
permissions = ["products.view"]
description = "  Own  "
[accounts.acme-cursos.collaborators]
"Bea@Example.COM" = { profile = "own", access_until = 2027-03-31, expires_in = "48h" }
"cai@example.com" = { profile = "own", access_until = 2027-03-31T10:00:00Z }
"""
    parsed = parse_team_file(text, "t.toml")
    (acct,) = parsed.accounts
    assert acct.profiles is not None and acct.collaborators is not None
    soporte = acct.profiles["soporte"]
    assert soporte.permissions[-1] == "withdrawal.withdraw"  # a label, stored as its id
    assert soporte.description == find_preset("soporte").description
    assert acct.profiles["own"].description == "Own"
    bea = acct.collaborators["bea@example.com"]
    assert bea.email == "Bea@example.com"  # normalised: domain lowered, local part kept
    assert bea.access_until == "2027-03-31T23:59:59Z"
    assert bea.expires_in == timedelta(hours=48)
    assert acct.collaborators["cai@example.com"].access_until == "2027-03-31T10:00:00Z"
    assert acct.name is None and acct.owner is None and acct.tax is None


@pytest.mark.parametrize(
    "body",
    [
        "version = 2\n",
        "version = 1\nfoo = 1\n",
        'version = 1\n[accounts.ab]\nname = ""\n',
        'version = 1\n[accounts.ab]\ntax_id = "123"\n',
        'version = 1\n[accounts.ab]\ntax_id = { country = "BR", number = "123.456.789-09" }\n',
        "version = 1\n[accounts.ab.profiles.cd]\n",
        'version = 1\n[accounts.ab.profiles.cd]\npreset = "nope"\n',
        'version = 1\n[accounts.ab.collaborators]\n"x@example.com" = 3\n',
        "version = 1\n[accounts.ab.collaborators]\n"
        '"x@example.com" = { profile = "cd", expires_in = "91d" }\n',
    ],
)
def test_bad_values_are_invalid(body: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_team_file(body.encode(), "t.toml")
    assert caught.value.message.startswith("t.toml")


def _refusal(text: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_team_file(text.encode(), "t.toml")
    return caught.value


def test_a_fault_names_the_line_of_its_key() -> None:
    text = (
        "version = 1\n"
        "[accounts.ab]\n"
        'name = "Ab"\n'
        "[accounts.ab.collaborators]\n"
        '"x@example.com" = "cd"\n'
        '"y@example" = "cd"\n'
    )
    refused = _refusal(text)
    assert refused.message.startswith("t.toml, line 6: ")
    assert "is not a valid email address" in refused.message


def test_one_line_per_person_and_never_the_owner() -> None:
    twice = _refusal(
        'version = 1\n[accounts.ab.collaborators]\n"x@example.com" = "cd"\n"X@EXAMPLE.com" = "cd"\n'
    )
    assert twice.message == (
        "t.toml, line 4: X@example.com is listed twice in ab (also as x@example.com):"
        " one line per person"
    )
    owner = _refusal(
        'version = 1\n[accounts.ab]\nowner = "o@example.com"\n'
        '[accounts.ab.collaborators]\n"O@example.com" = "cd"\n'
    )
    assert owner.message == (
        "t.toml, line 5: O@example.com owns ab: the owner is not a collaborator"
    )


def test_access_until_is_a_date_never_a_duration() -> None:
    refused = _refusal(
        'version = 1\n[accounts.ab.collaborators]\n"x@example.com" = { profile = "cd",'
        ' access_until = "30d" }\n'
    )
    assert refused.message == (
        't.toml, line 3: access_until "30d" is a duration: a team file takes a date'
    )
    assert refused.hint == "a plan must settle: write a TOML date (2027-03-31) or date-time"


def test_addresses_the_store_holds_need_no_second_check() -> None:
    text = b'version = 1\n[accounts.ab.collaborators]\n"Bob@Example.COM" = "cd"\n'
    asked: list[set[str]] = []

    def stored(candidates: set[str]) -> set[str]:
        asked.append(candidates)
        return candidates  # all of them, as stored

    (acct,) = parse_team_file(text, "t.toml", stored=stored).accounts
    assert asked == [{"Bob@Example.COM"}]
    assert acct.collaborators is not None
    assert [m.email for m in acct.collaborators.values()] == ["Bob@Example.COM"]
    (fresh,) = parse_team_file(text, "t.toml").accounts  # unknown: normalised
    assert fresh.collaborators is not None
    assert [m.email for m in fresh.collaborators.values()] == ["Bob@example.com"]
