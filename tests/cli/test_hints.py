"""Wrong hints and an untranslated tour (issue 9, items 12 and 13): `can --explain` says
"yes" once, a BOM'd preset loads, an unknown key in a preset is refused naming it and
its line, bytes that are not UTF-8 are called that, the README tour and the demo show an
edit reaching a person, and `--lang es|pt` translates table headers and preset
descriptions."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from support import ACME, BRUNO, OWNER, Cli, as_owner, colabctl_bytes, dump, ok, refused

from colabctl.core.presets import list_presets

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def demo(cli: Cli, tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    ok(cli("demo", "--db", str(db)))
    return db


def _as_owner(db: Path, *args: str) -> tuple[str, ...]:
    return ("--db", str(db), "--as", OWNER, *args)


# -- can --explain ------------------------------------------------------------------------------


def test_explain_says_yes_once(cli: Cli, demo: Path) -> None:
    asked = ("can", BRUNO, "purchases.request_refunds", "-a", ACME, "--explain")
    result = ok(cli(*_as_owner(demo, *asked)))
    lines = result.stdout.splitlines()
    assert lines[0] == "yes"
    assert result.stdout.count("yes") == 1, lines
    assert lines[1].startswith("  ✓ purchases.request_refunds: ") and "soporte" in lines[1]


def test_explain_says_no_once(cli: Cli, demo: Path) -> None:
    asked = ("can", BRUNO, "withdrawal.withdraw", "-a", ACME, "--explain")
    result = ok(cli(*_as_owner(demo, *asked)), 1)
    lines = result.stdout.splitlines()
    assert lines[0] == "no"
    assert sum(line.split()[0] == "no" for line in lines) == 1, lines
    assert lines[1].startswith("  · withdrawal.withdraw: ")


# -- preset files ---------------------------------------------------------------------------


def _from(cli: Cli, path: Path) -> tuple[str, ...]:
    return as_owner("profile", "create", "desde-archivo", "--from", str(path), "-a", ACME)


def test_a_preset_with_a_byte_order_mark_loads(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    path = tmp_path / "bom.toml"
    text = 'name = "x"\ntitle = { es = "Equis" }\npermissions = ["products.view"]\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    ok(cli(*_from(cli, path)))
    shown = json.loads(ok(cli(*as_owner("profile", "show", "desde-archivo", "--json"))).stdout)
    assert shown["permissions"] == ["products.view"]


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('name = "x"\ndescripton = "typo"\npermissions = ["products.view"]\n', "descripton", 2),
        ('permissions = ["products.view"]\n\n[titles]\nes = "Equis"\n', "titles", 3),
    ],
)
def test_an_unknown_key_in_a_preset_is_refused_naming_it(
    cli: Cli, legal_account: str, db_path: Path, tmp_path: Path, text: str, key: str, line: int
) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(text)
    result = refused(cli, db_path, 6, *_from(cli, path))
    error = result.stderr.splitlines()[0]
    assert f'"{key}"' in error and f"line {line}" in error and "typo.toml" in error


def test_descriptions_must_be_a_table_of_languages(
    cli: Cli, legal_account: str, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('permissions = ["products.view"]\n[descriptions]\nde = "Beschreibung"\n')
    error = refused(cli, db_path, 6, *_from(cli, path)).stderr
    assert "descriptions" in error and "line 2" in error


# -- bytes that are not UTF-8 ------------------------------------------------------------------


def test_an_undecodable_argument_is_called_not_utf8(
    cli: Cli, legal_account: str, db_path: Path
) -> None:
    """Python keeps undecodable argv bytes as lone surrogates ("\\udcff")."""
    for args in (
        ("profile", "create", "x-y", "--perm", "products.view", "--description", "a\udcffb"),
        ("profile", "edit", "soporte", "--description", "a\udcffb", "-a", ACME),
        ("invite", "a\udcffb@example.com", "-p", "soporte", "-a", ACME),
        ("account", "create", "otra", "--name", "a\udcffb"),
    ):
        error = refused(cli, db_path, 6, *as_owner(*args)).stderr
        assert "not UTF-8" in error and "control character" not in error, error


@pytest.mark.slow
def test_an_undecodable_argument_from_a_real_shell(demo: Path, tmp_path: Path) -> None:
    before = dump(demo)
    argv = [b"--as", OWNER.encode(), b"profile", b"edit", b"soporte", b"-a", ACME.encode()]
    argv += [b"--description", b"caf\xe9"]  # Latin-1, as an old terminal would send it
    done = colabctl_bytes(*argv, db=demo)
    assert done.returncode == 6
    assert b"not UTF-8" in done.stderr and b"control character" not in done.stderr
    assert dump(demo) == before


# -- the tour ---------------------------------------------------------------------------------


def _tour() -> list[list[str]]:
    block = README.read_text().split("## A tour", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("colabctl ")]


def test_the_readme_tour_runs_and_an_edit_reaches_a_person(cli: Cli) -> None:
    edits = 0
    for args in _tour():
        result = cli(*args)
        if args[:2] == ["can", BRUNO] and "purchases.change_buyer_email" in args and edits:
            assert result.exit_code == 1, (args, result.stdout)  # the edit reached Bruno
            continue
        ok(result)
        if args[:2] == ["profile", "edit"]:
            edits += 1
            match = re.search(r"(\d+) collaborators? affected", result.stderr)
            assert match and int(match.group(1)) >= 1, result.stderr
    assert edits == 1


def test_the_demo_suggests_an_edit_that_reaches_a_person(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shown = ok(cli("demo", "--db", str(db))).stdout.split("Try next:", 1)[1]
    lines = [shlex.split(line.strip()) for line in shown.splitlines() if line.strip()]
    commands = [words[1:] for words in lines if words[0] == "colabctl"]
    edit = next(i for i, args in enumerate(commands) if args[:2] == ["profile", "edit"])
    before = ok(cli(*_as_owner(db, *commands[edit - 1])))
    assert before.stdout.startswith("yes")
    done = ok(cli(*_as_owner(db, *commands[edit])))
    assert "1 collaborator affected" in done.stderr
    after = ok(cli(*_as_owner(db, *commands[edit + 1])), 1)
    assert after.stdout == "no\n"


# -- --lang: headers and preset descriptions -------------------------------------------------


def test_shipped_presets_carry_descriptions_in_three_languages() -> None:
    for preset in list_presets():
        assert set(preset.descriptions) >= {"es", "pt"}, preset.name
        assert preset.description_in("en") == preset.description
        assert preset.description_in("es") != preset.description
        assert preset.description_in("pt") != preset.description_in("es")


def _headers(stdout: str) -> list[str]:
    row = next(line for line in stdout.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in row.strip("┃").split("┃")]


def test_preset_list_in_spanish_and_portuguese(cli: Cli) -> None:
    spanish = ok(cli("preset", "list", "--lang", "es")).stdout
    assert _headers(spanish) == ["nombre", "título", "permisos", "descripción"]
    assert "Cuida la salud" in spanish and "financial" not in spanish
    portuguese = ok(cli("preset", "list", "--lang", "pt")).stdout
    assert _headers(portuguese) == ["nome", "título", "permissões", "descrição"]
    assert "Cuida da saúde" in portuguese
    english = ok(cli("preset", "list", "--lang", "en")).stdout
    assert _headers(english) == ["name", "title", "permissions", "description"]
    shown = ok(cli("preset", "show", "financiero", "--lang", "es")).stdout
    assert "Cuida la salud" in shown and _headers(shown) == ["permiso", "id", "riesgo"]


def test_headers_follow_colabctl_lang_where_there_is_no_option(
    cli: Cli, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLABCTL_LANG", "es")
    listed = ok(cli(*_as_owner(demo, "collaborator", "list", "-a", ACME))).stdout
    headers = ["usuario", "perfil", "estado", "invitado", "vence", "acceso hasta"]
    assert _headers(listed) == headers
    monkeypatch.setenv("COLABCTL_LANG", "pt")
    grid = ok(cli(*_as_owner(demo, "matrix", "-a", ACME, "--by-category"))).stdout
    assert _headers(grid)[0] == "categoria"
    monkeypatch.delenv("COLABCTL_LANG")
    listed = ok(cli(*_as_owner(demo, "collaborator", "list", "-a", ACME))).stdout
    assert _headers(listed)[0] == "user"


def test_a_config_with_a_byte_order_mark_is_read(cli: Cli, demo: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xef\xbb\xbf" + f'user = "{OWNER}"\n'.encode())
    assert ok(cli("--db", str(demo), "whoami", "--json")).stdout.count(OWNER) == 1


def test_a_config_that_is_not_utf8_says_so(cli: Cli, demo: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'user = "caf\xe9@example.com"\n')
    error = cli("--db", str(demo), "whoami").stderr
    assert "not UTF-8" in error and "control character" not in error


def test_free_text_with_an_undecodable_byte_is_not_utf8() -> None:
    """The core check says the same as the CLI (an undecodable argv byte is a lone
    surrogate, not a control character)."""
    from colabctl.core.names import clean_text
    from colabctl.errors import Invalid

    with pytest.raises(Invalid) as refused_text:
        clean_text("Acme\udcffCursos", what="display name")
    assert refused_text.value.message == 'display name "Acme\\udcffCursos" is not UTF-8 text'
