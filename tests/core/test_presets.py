"""Presets (docs/catalog.md): the four shipped ones are exactly what the seed lists, and
a malformed preset file is refused naming the file, the line and the bad id.

SEED holds the seed's Spanish labels per profile (seed/central-de-colaboradores.es.txt,
"1) Perfil Soporte" to "4) Perfil Gerente de Afiliados"), copied word for word, because CI
does not have the seed beside the clone.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import Cli, write

from colabctl.core import profiles
from colabctl.core.catalog import catalog
from colabctl.core.presets import (
    MAX_PRESET_BYTES,
    Preset,
    dump_preset,
    find_preset,
    list_presets,
    load_preset,
    parse_preset,
    presets_dir,
)
from colabctl.core.session import Context
from colabctl.errors import Invalid, NotFound

SEED: dict[str, tuple[str, list[str]]] = {
    # preset name: (the seed's profile title, its permissions as the seed words them)
    "soporte": (
        "Soporte",
        [
            "Gestionar Suscripciones",
            "Ver Productos",
            "Reenviar Notificaciones",
            "Reenviar Emails de Compras",
            "Emitir Pagos en Efectivo",
            "Solicitar Reembolsos",
            "Cambiar email del Comprador",
            "Buscar por Compras",
            "Buscar Ventas por Período",
            "Ver Informe de Recuperación de Compras",
        ],
    ),
    "tecnico": (
        "Técnico",
        [
            "Gestionar Configuraciones de Checkout",
            "Gestionar DRM social",
            "Gestionar Embudo de Ventas",
            "Gestionar Listboss",
            "Gestionar Hotleads",
            "Gestionar Páginas alternativas",
            "Gestionar API y Notificaciones",
            "Gestionar Checkout Personalizado",
            "Ver Informe de Ventas por Origen",
            "Ver Informe de Ventas por Origen de Checkout",
        ],
    ),
    "financiero": (
        "Financiero",
        [
            "Enviar recibos",
            "Ver Informe de Formas de Pago",
            "Ver Informe de Ingresos por Coproducción",
            "Ver Informe de Ingresos por Ubicación",
            "Ver Informe de Resumen Anual de Ingresos",
            "Ver Informe de Comisiones",
            "Ver Informe de Ingresos por Producto Detallado",
            "Ver Informe de Pagos a Afiliados",
            "Ver Informe de Importes recibidos como Afiliado",
            "Retirar",
        ],
    ),
    "gerente-afiliados": (
        "Gerente de Afiliados",
        [
            "Gestionar Entrega de Bonus",
            "Gestionar Páginas Alternativas Dinámicas",
            "Aprobar Afiliados",
            "Gestionar Afiliados",
            "Ver Informe de Leads de los Afiliados",
            "Ver Informe de Rendimiento de Afiliados",
            "Ver Informe de Pagos a Afiliados",
            "Ver Rendimiento de Afiliados",
        ],
    ),
}
SIZES = {"soporte": 10, "tecnico": 10, "financiero": 10, "gerente-afiliados": 8}


# -- the four shipped presets ------------------------------------------------------------


def test_exactly_the_four_presets_ship() -> None:
    assert sorted(p.stem for p in presets_dir().glob("*.toml")) == sorted(SEED)
    assert sorted(p.name for p in list_presets()) == sorted(SEED)


@pytest.mark.parametrize("name", list(SEED))
def test_preset_is_exactly_the_seed_profile(name: str) -> None:
    title, labels = SEED[name]
    cat = catalog()
    # every seed label is the es label of one catalog permission, not merely close to one
    by_es = {p.label("es"): p.id for p in cat.permissions}
    assert all(label in by_es for label in labels), [x for x in labels if x not in by_es]
    expected = [cat.resolve(label).id for label in labels]
    assert expected == [by_es[label] for label in labels]
    assert len(set(expected)) == len(expected) == SIZES[name]

    preset = find_preset(name)
    assert preset.name == name
    assert len(preset.permissions) == SIZES[name]
    assert len(set(preset.permissions)) == len(preset.permissions)
    assert set(preset.permissions) == set(expected)
    assert preset.title.get("es") == title
    assert set(preset.title) == {"es", "pt", "en"}
    assert all(preset.title.values())
    assert preset.description


@pytest.mark.parametrize("name", list(SEED))
def test_preset_files_use_ids_and_no_owner_only_one(name: str) -> None:
    data = tomllib.loads((presets_dir() / f"{name}.toml").read_text(encoding="utf-8"))
    assert data["name"] == name
    assert all(ref in catalog().by_id for ref in data["permissions"])
    assert not set(data["permissions"]) & catalog().owner_only_ids


@pytest.mark.parametrize("name", ["nope", "Soporte", "../soporte", "soporte.toml", ""])
def test_unknown_preset_is_not_found(name: str) -> None:
    with pytest.raises(NotFound) as caught:
        find_preset(name)
    assert caught.value.exit_code == 3


# -- malformed preset files --------------------------------------------------------------


def refusal(path: Path) -> Invalid:
    with pytest.raises(Invalid) as caught:
        load_preset(path)
    assert caught.value.exit_code == 6
    assert str(path) in caught.value.message
    return caught.value


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "team.toml",
        'name = "equipo"\ndescription = "ok"\npermissions = ["products.view"\nbroken here\n',
    )
    error = refusal(path)
    assert "line 4" in error.message


def test_toml_syntax_error_on_line_2(tmp_path: Path) -> None:
    error = refusal(write(tmp_path / "team.toml", 'name = "equipo"\ndescription = \n'))
    assert "line 2" in error.message


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('name = "x1"\npermissions = "products.view"\n', "permissions", 2),
        ('name = "x1"\n\npermissions = [1, 2]\n', "permissions", 3),
        ('name = "x1"\npermissions = [["products.view"]]\n', "permissions", 2),
        ('name = "x1"\ndescription = "d"\n', "permissions", None),  # missing
        ('name = 5\npermissions = ["products.view"]\n', "name", 1),
        ('description = ["d"]\npermissions = ["products.view"]\n', "description", 1),
        ('title = "Soporte"\npermissions = ["products.view"]\n', "title", 1),
        ('title = { de = "Support" }\npermissions = ["products.view"]\n', "title", 1),
        ('title = { es = 1 }\npermissions = ["products.view"]\n', "title", 1),
    ],
)
def test_wrong_types_are_invalid(tmp_path: Path, text: str, key: str, line: int | None) -> None:
    error = refusal(write(tmp_path / "team.toml", text))
    assert key in error.message
    if line is not None:
        assert f"line {line}" in error.message


def test_unknown_id_names_file_line_and_id(tmp_path: Path) -> None:
    path = write(
        tmp_path / "team.toml",
        'name = "equipo"\n'
        'description = "support team"\n'
        "permissions = [\n"
        '    "products.view",\n'
        '    "purchases.refund_everything",\n'
        '    "receipts.send",\n'
        "]\n",
    )
    error = refusal(path)
    assert "line 5" in error.message
    assert "purchases.refund_everything" in error.message


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        (  # the bad id is also mentioned in a comment above
            "# dropped: purchases.refund_all (too risky)\n"
            'name = "equipo"\n'
            "permissions = [\n"
            '  "products.view",\n'
            '  "purchases.refund_all",\n'
            "]\n",
            5,
            "purchases.refund_all",
        ),
        (  # the description says "permissions" before the key does
            'description = "permissions for the support desk"\npermissions = "products.view"\n',
            2,
            "permissions",
        ),
        (  # the bad reference is part of an earlier line's text
            'name = "products-view-only"\npermissions = ["products.view", "products"]\n',
            2,
            '"products"',
        ),
    ],
    ids=["id-in-a-comment", "key-in-a-description", "ref-inside-another-line"],
)
def test_the_line_named_is_the_faults_not_an_earlier_mention(
    tmp_path: Path, text: str, line: int, named: str
) -> None:
    error = refusal(write(tmp_path / "team.toml", text))
    assert named in error.message
    assert f"line {line}" in error.message, error.message


def test_unknown_label_names_it(tmp_path: Path) -> None:
    error = refusal(write(tmp_path / "team.toml", 'permissions = ["Ver Productos", "Ver Todo"]\n'))
    assert "Ver Todo" in error.message
    assert "line 1" in error.message


@pytest.mark.parametrize("ref", ["account.bank", "team.manage", "Datos bancarios", "Bank details"])
def test_owner_only_id_is_invalid(tmp_path: Path, ref: str) -> None:
    text = f'name = "equipo"\npermissions = [\n  "products.view",\n  "{ref}",\n]\n'
    path = write(tmp_path / "team.toml", text)
    error = refusal(path)
    assert catalog().resolve(ref).id in error.message
    assert "owner-only" in error.message
    assert "line 4" in error.message


def test_invalid_utf8_is_invalid(tmp_path: Path) -> None:
    raw = b'name = "equipo"\ndescription = "caf\xe9"\npermissions = []\n'
    path = write(tmp_path / "team.toml", raw)
    error = refusal(path)
    assert "UTF-8" in error.message
    assert "line 2" in error.message


def test_too_large_file_is_invalid(tmp_path: Path) -> None:
    body = 'name = "equipo"\npermissions = ["products.view"]\n'
    padding = "# " + "x" * 98 + "\n"
    text = body + padding * (2 * MAX_PRESET_BYTES // len(padding))
    path = write(tmp_path / "team.toml", text)
    assert path.stat().st_size > MAX_PRESET_BYTES
    error = refusal(path)
    assert "large" in error.message


def test_unreadable_path_is_invalid(tmp_path: Path) -> None:
    refusal(tmp_path / "missing.toml")


def test_labels_and_duplicates_in_a_file_become_ids_once(tmp_path: Path) -> None:
    path = write(
        tmp_path / "team.toml",
        'name = "equipo"\npermissions = ["Ver Productos", "products.view", "Request refunds"]\n',
    )
    assert load_preset(path).permissions == ("products.view", "purchases.request_refunds")


# -- export and load ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SEED))
def test_dump_then_parse_round_trips_each_preset(name: str) -> None:
    preset = find_preset(name)
    again = parse_preset(dump_preset(preset).encode("utf-8"), "again.toml")
    assert (again.name, again.permissions, again.description, again.title) == (
        preset.name,
        preset.permissions,
        preset.description,
        preset.title,
    )


def test_dump_round_trips_awkward_text() -> None:
    preset = Preset(
        name="atencion",
        permissions=("products.view", "purchases.search_by_period"),
        description='Atención "al cliente" \\ C:\\path; # not a comment',
        title={"es": "Atención", "pt": "Atendimento ção", "en": 'It\'s "support"'},
    )
    text = dump_preset(preset)
    data = tomllib.loads(text)
    assert set(data) >= {"name", "description", "permissions"}
    again = parse_preset(text.encode("utf-8"), "x.toml")
    assert (again.name, again.permissions, again.description, again.title) == (
        preset.name,
        preset.permissions,
        preset.description,
        preset.title,
    )


def test_exported_profile_loads_back_as_the_same_profile(
    cli: Cli, legal_account: str, owner_ctx: Context, tmp_path: Path
) -> None:
    result = cli(
        "profile",
        "edit",
        "soporte",
        "--add",
        "receipts.send",
        "--remove",
        "products.view",
        "--description",
        "Soporte nivel 1",
        "-a",
        legal_account,
    )
    assert result.exit_code == 0, result.stderr
    exported = profiles.export(owner_ctx, "soporte", legal_account)
    path = write(tmp_path / "soporte-export.toml", dump_preset(exported))
    loaded = load_preset(path)
    view = profiles.show(owner_ctx, "soporte", legal_account)
    assert loaded.name == "soporte"
    assert set(loaded.permissions) == set(view.permissions)
    assert "receipts.send" in loaded.permissions
    assert "products.view" not in loaded.permissions
    assert loaded.description == "Soporte nivel 1"
    assert loaded.title == find_preset("soporte").title
