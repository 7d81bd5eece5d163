"""Build hook: ship catalog.toml also as catalog.json inside the wheel.

catalog.toml stays the one source; the JSON is derived at build time (like a
.pyc) because `colabctl can` reads the catalog on every run and parsing TOML
costs more than the whole access check. A checkout (editable install) has
no JSON and reads the TOML.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        source = Path(self.root, "src", "colabctl", "core", "catalog.toml")
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        self._tmp = tempfile.mkdtemp(prefix="colabctl-build-")
        built = Path(self._tmp, "catalog.json")
        built.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        build_data["force_include"][str(built)] = "colabctl/core/catalog.json"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
