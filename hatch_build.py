"""Build hook: what the wheel ships derived from the source, like a .pyc.

- catalog.toml also as catalog.json: catalog.toml stays the one source; `colabctl can`
  reads the catalog on every run and parsing TOML costs more than the whole access
  check. Likewise sod_rules.toml as sod_rules.json: `profile create` and `profile edit`
  read the shipped separation-of-duties rules, and importing tomllib for them cost a
  write more than the rules themselves. A checkout (editable install) has no JSON and
  reads the TOML.
- the translations compiled: each src/colabctl/locale/<lang>/LC_MESSAGES/colabctl.po as
  the .mo the program reads (scripts/i18n.py compiles them, with Babel, and sorts their
  tables for the binary search colabctl/i18n.py does at run time). An editable
  install gets them compiled in place, beside the .po (gitignored); after editing a .po,
  `python scripts/i18n.py compile` does the same.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# src/colabctl/core/NAME.toml that the wheel also carries as NAME.json
DERIVED = ("catalog", "sod_rules")


class CatalogHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        pipeline = _pipeline(Path(self.root))
        if version == "editable":
            pipeline.compile_catalogs()
            return
        self._tmp = tempfile.mkdtemp(prefix="colabctl-build-")
        for name in DERIVED:
            source = Path(self.root, "src", "colabctl", "core", f"{name}.toml")
            data = tomllib.loads(source.read_text(encoding="utf-8"))
            built = Path(self._tmp, f"{name}.json")
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            built.write_text(text, encoding="utf-8")
            build_data["force_include"][str(built)] = f"colabctl/core/{name}.json"
        locale = Path(self._tmp, "locale")
        for mo in pipeline.compile_catalogs(out=locale):
            shipped = mo.relative_to(locale).as_posix()
            build_data["force_include"][str(mo)] = f"colabctl/locale/{shipped}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _pipeline(root: Path) -> Any:
    """scripts/i18n.py, the one place that knows how catalogs are compiled."""
    spec = importlib.util.spec_from_file_location("colabctl_i18n", root / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
