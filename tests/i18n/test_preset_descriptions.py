"""A profile made from a preset without a description of its own stores the preset's
description in the language the command ran in: `profile create --preset`, `apply` of a
team file naming a `preset`, and `demo` (docs/i18n.md). And a team file's rule holds in
every language: a stored description equal to the preset's description in any language
counts as the preset's, so it is never a change (docs/team-file.md)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import ACME, CNPJ, OWNER, ROOT, Cli, ok
from typer.testing import CliRunner

LANGS = ("en", "es", "pt")


def described(preset: str) -> dict[str, str]:
    """The preset's description in each language, as its file has it."""
    data = tomllib.loads((ROOT / "profiles" / f"{preset}.toml").read_text("utf-8"))
    return {"en": data["description"], **data["descriptions"]}


def stored(cli: Cli, name: str, *args: str) -> str:
    shown: dict[str, Any] = json.loads(
        ok(cli(*args, "profile", "show", name, "-a", ACME, "--json")).stdout
    )
    return str(shown["description"])


def test_the_presets_say_it_differently_in_each_language() -> None:
    """What the other tests rely on: three descriptions, none the same."""
    assert len(set(described("soporte").values())) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_profile_create_from_a_preset(cli: Cli, legal_account: str, lang: str) -> None:
    ok(cli("--lang", lang, "profile", "create", "ventas", "--preset", "soporte", "-a", ACME))
    assert stored(cli, "ventas") == described("soporte")[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_a_description_given_is_kept_as_given(cli: Cli, legal_account: str, lang: str) -> None:
    create = ("profile", "create", "ventas", "--preset", "soporte", "-a", ACME)
    ok(cli("--lang", lang, *create, "--description", "Ventas y reembolsos"))
    assert stored(cli, "ventas") == "Ventas y reembolsos"


TEAM = f"""version = 1

[accounts.beta-digital]
name = "Beta Digital"
owner = "{OWNER}"
tax_id = {{ country = "BR", number = "{CNPJ}" }}

[accounts.beta-digital.profiles.soporte]
preset = "soporte"
EXTRA
"""


def team_file(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "team.toml"
    path.write_text(TEAM.replace("EXTRA", extra), "utf-8")
    return str(path)


def beta_description(cli: Cli) -> str:
    shown = ok(cli("profile", "show", "soporte", "-a", "beta-digital", "--json")).stdout
    return str(json.loads(shown)["description"])


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_apply_stores_the_presets_description_in_the_language_and_no_language_changes_it(
    cli: Cli, ana: str, tmp_path: Path, lang: str
) -> None:
    team = team_file(tmp_path)
    ok(cli("--lang", lang, "apply", "-f", team, "--yes"))
    assert beta_description(cli) == described("soporte")[lang]
    for other in LANGS:  # the preset's in any language: no change, whatever the reader's
        ok(cli("--lang", other, "plan", "-f", team, "--detailed-exitcode"))


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_a_permission_change_keeps_the_presets_description_as_it_is(
    cli: Cli, ana: str, tmp_path: Path, lang: str
) -> None:
    ok(cli("--lang", lang, "apply", "-f", team_file(tmp_path), "--yes"))
    more = team_file(tmp_path, 'permissions = ["tools.listboss"]')
    other = "pt" if lang == "es" else "es"
    found = json.loads(ok(cli("--lang", other, "plan", "-f", more, "--json")).stdout)
    [change] = found["changes"]
    assert change["kind"] == "change-profile"
    assert change["after"]["description"] == change["before"]["description"]
    ok(cli("--lang", other, "apply", "-f", more, "--yes"))
    assert beta_description(cli) == described("soporte")[lang]


def test_a_description_of_its_own_is_still_a_change(cli: Cli, ana: str, tmp_path: Path) -> None:
    ok(cli("--lang", "es", "apply", "-f", team_file(tmp_path), "--yes"))
    own = team_file(tmp_path, 'description = "Atención al cliente"')
    changed = cli("--lang", "pt", "plan", "-f", own, "--detailed-exitcode")
    assert changed.exit_code == 1, changed.stdout + changed.stderr
    ok(cli("apply", "-f", own, "--yes"))
    assert beta_description(cli) == "Atención al cliente"


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_demo_builds_its_profiles_in_the_language(tmp_path: Path, lang: str) -> None:
    store = tmp_path / "demo.db"
    cli = Cli(CliRunner())
    ok(cli("--lang", lang, "demo", "--db", str(store)))
    for preset in ("soporte", "tecnico", "financiero", "gerente-afiliados"):
        got = stored(cli, preset, "--db", str(store), "--as", "ana.souza@example.com")
        assert got == described(preset)[lang], preset
