"""The wheel ships the data the code reads: the presets (as colabctl/profiles), the
permission catalog and the separation-of-duties rules, and an installed wheel finds them
without the checkout.

Engines: SQLite only: the installed wheel's data files, which no engine changes."""

from __future__ import annotations

import itertools
import json
import os
import tomllib
import zipfile
from pathlib import Path

import pytest
from support import ROOT, mo_originals, python

pytestmark = pytest.mark.slow  # builds the wheel (the `wheel` fixture) and runs it

PRESETS = ["soporte", "tecnico", "financiero", "gerente-afiliados"]


def test_wheel_holds_the_presets_and_the_catalog(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for preset in PRESETS:
            member = f"colabctl/profiles/{preset}.toml"
            assert member in names
            assert archive.read(member) == (ROOT / "profiles" / f"{preset}.toml").read_bytes()
        for name in ("catalog", "sod_rules"):
            assert f"colabctl/core/{name}.toml" in names
            shipped = archive.read(f"colabctl/core/{name}.toml")
            assert shipped == (ROOT / "src" / "colabctl" / "core" / f"{name}.toml").read_bytes()
            # hatch_build.py derives NAME.json (read by `can` and by `profile edit`, faster
            # than importing a TOML parser): it must say exactly what NAME.toml says
            derived = json.loads(archive.read(f"colabctl/core/{name}.json"))
            assert derived == tomllib.loads(shipped.decode("utf-8"))
        assert not any(name.startswith(("tests/", "colabctl/tests/")) for name in names)


def test_installed_wheel_finds_its_presets_and_catalog(installed: Path, tmp_path: Path) -> None:
    """Unpacked away from the checkout, the package reads its own profiles/ and catalog."""
    site = installed
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "COLABCTL_DB": str(tmp_path / "store.db"),
        "COLABCTL_CONFIG": str(tmp_path / "config.toml"),
    }
    probe = (
        "import json, colabctl\n"
        "from colabctl.core.presets import list_presets, presets_dir\n"
        "from colabctl.core.catalog import catalog\n"
        "print(json.dumps({'package': colabctl.__file__, 'presets': str(presets_dir()),\n"
        "  'names': sorted(p.name for p in list_presets()),\n"
        "  'perms': len(catalog().permissions)}))\n"
    )
    done = python("-c", probe, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["presets"]).is_relative_to(site)
    assert found["names"] == sorted(PRESETS)
    assert found["perms"] == 41
    assert not (tmp_path / "store.db").exists()


def test_wheel_ships_unicode_confusables_with_their_licence(wheel: Path) -> None:
    """The lookalike rule reads Unicode's confusables.txt (docs/commands.md): the wheel
    carries it unmodified, with the Unicode licence beside it."""
    folder = ROOT / "src" / "colabctl" / "store" / "unicode"
    with zipfile.ZipFile(wheel) as archive:
        for name in ("confusables.txt", "Scripts.txt", "LICENSE.txt", "__init__.py"):
            member = f"colabctl/store/unicode/{name}"
            assert archive.read(member) == (folder / name).read_bytes()
        head = archive.read("colabctl/store/unicode/confusables.txt").decode("utf-8-sig")
    assert "# Version: 18.0.0" in head.splitlines()[:12]
    assert "UNICODE LICENSE V3" in (folder / "LICENSE.txt").read_text(encoding="utf-8")


def test_wheel_ships_the_report_templates(wheel: Path) -> None:
    """`colabctl report` renders from these (docs/report.md): they ship as they are."""
    folder = ROOT / "src" / "colabctl" / "core" / "report" / "templates"
    with zipfile.ZipFile(wheel) as archive:
        for name in ("report.html.j2", "report.md.j2", "report.css"):
            member = f"colabctl/core/report/templates/{name}"
            assert archive.read(member) == (folder / name).read_bytes()


def test_wheel_ships_the_compiled_translations(wheel: Path) -> None:
    """The .mo files the program reads (docs/i18n.md), compiled at build time from the .po
    files as they are now, their originals sorted by their bytes (colabctl binary-searches
    them); the .po files themselves stay out."""
    from gettext import GNUTranslations
    from io import BytesIO

    from colabctl.i18n import Compiled

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert not any(name.endswith((".po", ".pot")) for name in names)
        for lang, yes in (("es", "sí"), ("pt", "sim")):
            mo = archive.read(f"colabctl/locale/{lang}/LC_MESSAGES/colabctl.mo")
            originals = mo_originals(mo)
            assert all(a < b for a, b in itertools.pairwise(originals))
            for catalog in (GNUTranslations(BytesIO(mo)), Compiled(BytesIO(mo))):
                assert catalog.gettext("yes") == yes
                assert catalog.gettext("Examples:") != "Examples:"
                assert catalog.pgettext("column", "active") != "active"


def test_installed_wheel_speaks_spanish(installed: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(installed),
        "COLABCTL_DB": str(tmp_path / "store.db"),
        "COLABCTL_CONFIG": str(tmp_path / "config.toml"),
        "COLABCTL_LANG": "es",
    }
    done = python("-m", "colabctl", "help", "exit-codes", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "Códigos de salida" in done.stdout
